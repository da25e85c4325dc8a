"""accord's exceptions: every error a user can cause is an :class:`AccordError`.

Errors carry enough context (file, line, field path) to be printed as one clear paragraph by the
CLI, without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AccordError",
    "Problem",
    "ScenarioError",
    "UnknownNameError",
    "format_path",
]

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a field path as ``actors[3].positions.sanctions``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


class AccordError(Exception):
    """Base class of the errors a user can cause (bad input, unknown names, missing files)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (path, line) and what."""

    path: tuple[PathPart, ...]
    message: str
    line: int | None = None

    def render(self, file: str | None) -> str:
        where = file or "<scenario>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if not self.path:
            return f"{where}: {self.message}"
        return f"{where}: {format_path(self.path)}: {self.message}"


class ScenarioError(AccordError):
    """A scenario (YAML, CSV or Python object) is invalid; lists every problem found."""

    def __init__(self, problems: Sequence[Problem], file: str | None = None) -> None:
        self.problems = tuple(problems)
        self.file = file
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [p.render(self.file) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines)

    def located(
        self, file: str, lines: dict[tuple[PathPart, ...], int] | None = None
    ) -> ScenarioError:
        """The same problems, attributed to ``file`` and (where known) its line numbers."""
        from accord.scenario.locate import locate

        problems = [locate(p, lines or {}) for p in self.problems]
        return ScenarioError(problems, file)


class UnknownNameError(AccordError):
    """A name (model, scenario, actor, issue, lever) that accord does not know."""
