"""Text-file helpers shared by the scenario readers (YAML, KTAB CSV, decide)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accord.errors import AccordError, PathPart, Problem, ScenarioError
from accord.scenario.schema import ID_MAX, Scenario

__all__ = [
    "NOT_FINITE",
    "NUMBER",
    "build_scenario",
    "problems_from_pydantic",
    "read_text_file",
    "split_lines",
    "unique_id",
]

NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _friendly(error: Any) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" if loc else "unknown key"
    if kind == "too_short":
        ctx = error.get("ctx") or {}
        least, actual = ctx.get("min_length", 1), ctx.get("actual_length", 0)
        return f"needs at least {least} item(s), has {actual}"
    if kind in ("tuple_type", "list_type"):
        return f"should be a list (got {type(error.get('input')).__name__})"
    if kind in ("dict_type", "model_type"):
        return f"should be a mapping of keys to values (got {type(error.get('input')).__name__})"
    if kind == "finite_number":
        return "NaN and infinity are not allowed; give a finite number"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower()}{msg[1:]} (got {shown})"


def problems_from_pydantic(exc: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into accord problems (path + plain message)."""
    errors = exc.errors()
    paths = [tuple(p for p in err["loc"] if isinstance(p, int | str)) for err in errors]
    problems = []
    for err, path in zip(errors, paths, strict=True):
        # "too short after validation" only echoes failures of the items themselves
        if err["type"] == "too_short" and any(
            len(q) > len(path) and q[: len(path)] == path for q in paths
        ):
            continue
        problems.append(Problem(path, _friendly(err)))
    return problems


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` split at LF, CRLF or CR only (never at other Unicode line breaks)."""
    return _LINE_BREAK.split(text.removeprefix("\ufeff"))


def unique_id(base: str, used: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``, ... if taken; the result is added to ``used``."""
    candidate = base
    k = 2
    while candidate in used:
        suffix = f"-{k}"
        candidate = base[: ID_MAX - len(suffix)] + suffix
        k += 1
    used.add(candidate)
    return candidate


def read_text_file(
    path: str | Path, kind: str, legacy: str | None = "cp1252"
) -> tuple[str, str]:
    """The text of ``path`` and its name; accord errors if unreadable.

    The text is decoded as UTF-8 (a byte-order mark is dropped) or, failing that, with the
    ``legacy`` encoding (Windows-1252 by default, as spreadsheet exports often are; None: none).
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise AccordError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise AccordError(f"{p}: is a directory, not a {kind}") from None
    except OSError as exc:
        raise AccordError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig"), str(p)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        if legacy is not None:
            return raw.decode(legacy), str(p)
    except UnicodeDecodeError:
        pass
    line = raw[:first_bad].count(b"\n") + 1
    also = f" nor {legacy}" if legacy else ""
    raise ScenarioError(
        [Problem((), f"not a text file (not UTF-8{also}); a {kind} is text", line)], str(p)
    )


def build_scenario(
    data: dict[str, Any], file: str, lines: dict[tuple[PathPart, ...], int]
) -> Scenario:
    """Validate ``data`` as a scenario; errors are located in ``file`` via ``lines``."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_pydantic(exc)).located(file, lines) from None
    except ScenarioError as exc:
        raise exc.located(file, lines) from None
