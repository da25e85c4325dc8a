"""Find a scenario by reference: a built-in name, a YAML file, a KTAB CSV or a decide file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from accord.errors import AccordError
from accord.scenario.schema import Scenario
from accord.scenario.yamlio import load_scenario_file, load_scenario_text

__all__ = ["DEFAULT_SCENARIO", "builtin_scenarios", "load_scenario", "scenario_format"]

DEFAULT_SCENARIO = "korea-2020"
YAML_SUFFIXES = (".yaml", ".yml")


def _builtin_dir() -> resources.abc.Traversable:
    return resources.files("accord").joinpath("scenarios")


def builtin_scenarios() -> tuple[str, ...]:
    """Names of the scenarios shipped with accord."""
    names = [
        p.name.rsplit(".", 1)[0]
        for p in _builtin_dir().iterdir()
        if p.name.endswith(YAML_SUFFIXES)
    ]
    return tuple(sorted(names))


def scenario_format(path: Path) -> str:
    """``yaml``, ``ktab-csv`` or ``decide-csv``, from the suffix and the first line."""
    if path.suffix.lower() in YAML_SUFFIXES:
        return "yaml"
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError as exc:
        raise AccordError(f"{path}: cannot read ({exc.strerror})") from None
    from accord.scenario.decide import is_decide_text

    if is_decide_text(head):
        return "decide-csv"
    if path.suffix.lower() == ".csv":
        return "ktab-csv"
    raise AccordError(
        f"{path}: cannot tell the format; accord reads scenario YAML (.yaml, .yml), KTAB CSV "
        "(.csv) and decide files (lines starting with '#A', '#P', '#M', '#D')"
    )


def load_scenario(ref: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Load a scenario: a built-in name (``korea-2020``) or a path to a YAML/CSV/decide file."""
    text_ref = str(ref)
    if text_ref in builtin_scenarios() and not Path(text_ref).exists():
        text = _builtin_dir().joinpath(f"{text_ref}.yaml").read_text(encoding="utf-8")
        return load_scenario_text(text, f"{text_ref} (built-in)")
    path = Path(ref)
    if not path.exists():
        raise AccordError(
            f"{text_ref}: no such file, and not a built-in scenario (built-ins: "
            f"{', '.join(builtin_scenarios())})"
        )
    if path.is_dir():
        raise AccordError(f"{text_ref}: is a directory, not a scenario file")
    kind = scenario_format(path)
    if kind == "yaml":
        return load_scenario_file(path)
    if kind == "decide-csv":
        from accord.scenario.decide import read_decide

        return read_decide(path)
    from accord.scenario.ktab import read_ktab_csv

    return read_ktab_csv(path)
