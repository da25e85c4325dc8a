"""KTAB SMP CSV files (KTAB's Spatial Model of Politics): read them as scenarios, write them back.

The format (KTAB's ``smpc --csv``) is comma-separated; a field may be wrapped in double quotes,
numbers may have spaces around them, and trailing empty fields and fields past the ones below are
ignored:

* row 1: scenario name, scenario description, number of actors N, number of dimensions M;
* row 2: three labels (``Actor, Description, Influence`` or ``... Power``), then per dimension a
  position label (the dimension's name) and a salience label;
* rows 3 … N+2: actor name, description, capability, then per dimension position and salience.

Reading checks what KTAB checks: 3 ≤ N ≤ 250, M ≥ 1, every number a finite decimal number,
positions and saliences in [0, 100], each actor's saliences summing to at most 100 (allowing
10⁻⁹ for rounding) with at least one above 0, capability in [0, 10⁸], names non-empty, and exactly
N actor rows. Blank lines are skipped. Every problem is reported with the file, the line and a
field path such as ``actors[2].saliences.Sal2`` (actor index from 0, then the column label).

Mapping, KTAB → accord:

* Scenario: ``name`` = the scenario name, ``id`` = its slug, ``description`` =
  ``"Imported from KTAB SMP CSV: <KTAB description>"``.
* Each dimension becomes an :class:`~accord.scenario.schema.Issue`: ``name`` = the position label
  with surrounding spaces stripped, ``id`` = its slug (made unique). KTAB uses the *raw* label as
  the dimension name, spaces included (as in the dummyData-a040/a080 files); when the raw label
  differs from the stripped one it is kept verbatim in ``Issue.description``, so writing
  reproduces it. KTAB has no status quo, anchors or raw scales: those stay unset.
* Each actor row becomes an :class:`~accord.scenario.schema.Actor`: ``id`` = slug of the name
  (made unique), ``name``, ``description``, ``capability`` as given (any scale), positions and
  saliences as given (both on 0–100, so no conversion at all).

Writing (:func:`format_ktab_csv`), accord → KTAB:

* Only ``Param.value`` is written; ranges, evidence, status quo, anchors, sources and levers have no
  place in the format and are dropped.
* The position label is ``Issue.description`` when that strips to ``Issue.name`` (the raw label
  kept on import), else ``Issue.name``. The salience label is derived from it: a trailing
  ``Position`` becomes ``Salience``, a leading ``Pstn`` becomes ``Sal``, otherwise `` Salience`` is
  appended (this reproduces the labels of all KTAB example files). The capability column is
  labelled ``Influence``.
* accord saliences are per issue on 0–100 with no constraint on their total; KTAB needs each actor's
  saliences to total at most 100. When an actor's total exceeds 100, its saliences are scaled
  proportionally so that they total exactly 100 (trimmed by the last binary digit where floating
  point would otherwise land a hair above 100). Totals up to 100 are written unchanged.
* An actor absent from an issue cannot be expressed (KTAB needs every position and salience), nor
  can fewer than 3 or more than 250 actors, a capability above 10⁸, or an actor whose saliences are
  all 0: each raises :class:`~accord.errors.AccordError`.
* Numbers are written in Python's shortest round-trip form (``repr``), so they re-read to the
  identical floats: ``parse_ktab_csv(format_ktab_csv(s))`` equals ``s`` for every scenario read
  from a KTAB file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.errors import AccordError, PathPart, Problem, ScenarioError
from accord.scenario.schema import ID_PATTERN, Scenario, slug
from accord.scenario.textio import (
    NOT_FINITE,
    NUMBER,
    build_scenario,
    read_text_file,
    split_lines,
    unique_id,
)

__all__ = [
    "IMPORT_NOTE",
    "MAX_ACTORS",
    "MAX_CAPABILITY",
    "MIN_ACTORS",
    "format_ktab_csv",
    "parse_ktab_csv",
    "read_ktab_csv",
]

MIN_ACTORS = 3
MAX_ACTORS = 250
MAX_CAPABILITY = 1e8
IMPORT_NOTE = "Imported from KTAB SMP CSV"
_SUM_TOLERANCE = 1e-9

_INTEGER = re.compile(r"[+-]?\d+")
_VALID_ID = re.compile(ID_PATTERN)


# --- reading ---------------------------------------------------------------------------------


def _split_csv(line: str) -> list[str]:
    """Cells of one CSV line.

    A cell whose first non-blank character is ``"`` is quoted: commas inside it do not split,
    ``""`` stands for one quote, and the quotes (and spaces around them) are removed. A cell that
    is not well-formed that way (no closing quote, or text after it) is kept as written. Unquoted
    cells keep their spaces; callers strip where KTAB does.
    """
    cells: list[str] = []
    i, n = 0, len(line)
    while True:
        j = i
        while j < n and line[j] in " \t":
            j += 1
        end = -1
        if j < n and line[j] == '"':
            value: list[str] = []
            k = j + 1
            while k < n:
                if line[k] == '"':
                    if line[k + 1 : k + 2] == '"':
                        value.append('"')
                        k += 2
                        continue
                    break
                value.append(line[k])
                k += 1
            if k < n:  # closed at k
                end = line.find(",", k + 1)
                end = n if end < 0 else end
                if line[k + 1 : end].strip():
                    cells.append(line[i:end])
                else:
                    cells.append("".join(value))
        if end < 0:
            end = line.find(",", j)
            end = n if end < 0 else end
            cells.append(line[i:end])
        if end >= n:
            return cells
        i = end + 1


@dataclass
class _Row:
    line: int
    cells: list[str]

    def cell(self, k: int) -> str | None:
        return self.cells[k] if k < len(self.cells) else None


@dataclass
class _ActorRow:
    line: int
    name: str
    description: str
    capability: float | None
    positions: list[float | None]
    saliences: list[float | None]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: tuple[PathPart, ...], message: str, line: int) -> None:
        self.problems.append(Problem(path, message, line))

    def number(
        self,
        text: str | None,
        path: tuple[PathPart, ...],
        line: int,
        what: str,
        low: float,
        high: float,
    ) -> float | None:
        if text is None:
            return None  # the row is too short; reported once for the row
        s = text.strip()
        if not s:
            self.add(path, f"empty cell; expected the {what} (a number)", line)
            return None
        if NOT_FINITE.fullmatch(s):
            self.add(path, f"'{s}' is not allowed; give a finite number for the {what}", line)
            return None
        if not NUMBER.fullmatch(s):
            shown = s if len(s) <= 40 else s[:37] + "..."
            self.add(path, f"'{shown}' is not a number; expected the {what}", line)
            return None
        value = float(s)
        if not math.isfinite(value):
            self.add(path, f"{s} is too large for the {what}", line)
            return None
        if not low <= value <= high:
            self.add(path, f"{what} {s} is outside {_fmt(low)}–{_fmt(high)}", line)
            return None
        return value

    def integer(self, text: str | None, path: tuple[PathPart, ...], line: int, what: str
                ) -> int | None:
        s = (text or "").strip()
        if not s:
            self.add(path, f"missing the {what} (a whole number)", line)
            return None
        if not _INTEGER.fullmatch(s) or len(s) > 10:
            shown = s if len(s) <= 40 else s[:37] + "..."
            self.add(path, f"'{shown}' is not a whole number; expected the {what}", line)
            return None
        return int(s)


def _fmt(x: float) -> str:
    return f"{int(x)}" if x.is_integer() and abs(x) < 1e15 else repr(x)


def _trim(cells: list[str]) -> list[str]:
    out = list(cells)
    while out and not out[-1].strip():
        out.pop()
    return out


def parse_ktab_csv(text: str, file: str = "<string>") -> Scenario:
    """Read a KTAB SMP CSV text as a scenario; raise :class:`ScenarioError` listing every problem.

    ``file`` names the source in error messages (``file:line: path: message``).
    """
    rows = [
        _Row(n, _trim(_split_csv(line))) for n, line in enumerate(split_lines(text), start=1)
    ]
    rows = [r for r in rows if r.cells]
    bag = _Collector()
    if not rows:
        raise ScenarioError(
            [Problem((), "the file is empty; a KTAB CSV starts with a row 'scenario name, "
                         "description, number of actors, number of dimensions'", 1)],
            file,
        )

    head = rows[0]
    name = (head.cell(0) or "").strip()
    description = (head.cell(1) or "").strip()
    if not name:
        bag.add(("scenario", "name"), "the scenario name (row 1, first cell) is empty", head.line)
    n_actors = bag.integer(head.cell(2), ("scenario", "actors"), head.line,
                           "number of actors (row 1, third cell)")
    n_dims = bag.integer(head.cell(3), ("scenario", "dimensions"), head.line,
                         "number of dimensions (row 1, fourth cell)")
    if n_actors is not None and not MIN_ACTORS <= n_actors <= MAX_ACTORS:
        bag.add(("scenario", "actors"),
                f"{n_actors} actors; KTAB needs between {MIN_ACTORS} and {MAX_ACTORS}", head.line)
        n_actors = None
    widest = max(len(r.cells) for r in rows)
    if n_dims is not None and n_dims < 1:
        bag.add(("scenario", "dimensions"),
                f"{n_dims} dimensions; KTAB needs at least 1", head.line)
        n_dims = None
    elif n_dims is not None and 3 + 2 * n_dims > widest:
        bag.add(("scenario", "dimensions"),
                f"row 1 says {n_dims} dimensions, which needs rows of {3 + 2 * n_dims} cells "
                f"(name, description, capability, then a position and a salience per "
                f"dimension), but no row has more than {widest}", head.line)
        n_dims = None
    if n_actors is None or n_dims is None:
        raise ScenarioError(bag.problems, file)
    m = n_dims
    need = 3 + 2 * m

    labels_line = rows[1].line if len(rows) > 1 else head.line
    raw_labels: list[str] = []
    if len(rows) < 2:
        bag.add(("labels",), "the column labels (row 2) are missing", head.line)
    else:
        label_row = rows[1]
        if len(label_row.cells) < need:
            bag.add(("labels",),
                    f"row 2 has {len(label_row.cells)} labels but needs {need}: Actor, "
                    f"Description, Influence, then a position and a salience label for each of "
                    f"the {m} dimensions", label_row.line)
        for k in range(m):
            raw = label_row.cell(3 + 2 * k)
            if raw is not None and not raw.strip():
                bag.add(("labels", 3 + 2 * k),
                        f"the position label of dimension {k + 1} is empty; it names the "
                        "dimension", label_row.line)
            raw_labels.append(raw or "")
    while len(raw_labels) < m:
        raw_labels.append("")
    pos_names = [r.strip() or f"position {k + 1}" for k, r in enumerate(raw_labels)]
    sal_names: list[str] = []
    for k in range(m):
        cell = rows[1].cell(4 + 2 * k) if len(rows) > 1 else None
        sal_names.append((cell or "").strip() or f"salience {k + 1}")

    data_rows = rows[2:]
    if len(data_rows) < n_actors:
        bag.add(("actors",),
                f"row 1 says {n_actors} actors but {len(data_rows)} actor rows follow the labels",
                data_rows[-1].line if data_rows else labels_line)
    elif len(data_rows) > n_actors:
        extra = data_rows[n_actors]
        bag.add(("actors", n_actors),
                f"row 1 says {n_actors} actors, but there are {len(data_rows)} actor rows; "
                "correct the count in row 1 or remove the extra rows", extra.line)

    actors = [
        _read_actor(i, row, m, need, pos_names, sal_names, bag)
        for i, row in enumerate(data_rows[:n_actors])
    ]
    if bag.problems:
        raise ScenarioError(bag.problems, file)

    used_issue_ids: set[str] = set()
    issue_ids = [unique_id(slug(p), used_issue_ids) for p in pos_names]
    issues: list[dict[str, Any]] = []
    for iid, raw in zip(issue_ids, raw_labels, strict=True):
        issue: dict[str, Any] = {"id": iid, "name": raw.strip()}
        if raw != raw.strip():
            issue["description"] = raw
        issues.append(issue)

    used_actor_ids: set[str] = set()
    actor_data: list[dict[str, Any]] = []
    lines: dict[tuple[PathPart, ...], int] = {
        (): head.line,
        ("id",): head.line,
        ("name",): head.line,
        ("description",): head.line,
        ("issues",): labels_line,
        ("actors",): data_rows[0].line if data_rows else labels_line,
    }
    for k in range(m):
        lines[("issues", k)] = labels_line
    for i, a in enumerate(actors):
        actor_data.append({
            "id": unique_id(slug(a.name), used_actor_ids),
            "name": a.name,
            "description": a.description,
            "capability": a.capability,
            "positions": dict(zip(issue_ids, a.positions, strict=True)),
            "saliences": dict(zip(issue_ids, a.saliences, strict=True)),
        })
        lines[("actors", i)] = a.line
    data: dict[str, Any] = {
        "id": slug(name),
        "name": name,
        "description": f"{IMPORT_NOTE}: {description}" if description else f"{IMPORT_NOTE}.",
        "issues": issues,
        "actors": actor_data,
    }
    return build_scenario(data, file, lines)


def _read_actor(
    i: int,
    row: _Row,
    m: int,
    need: int,
    pos_names: Sequence[str],
    sal_names: Sequence[str],
    bag: _Collector,
) -> _ActorRow:
    line = row.line
    if len(row.cells) < need:
        bag.add(("actors", i),
                f"this actor row has {len(row.cells)} cells but needs {need}: name, description, "
                f"capability, then a position and a salience for each of the {m} dimensions",
                line)
    name = (row.cell(0) or "").strip()
    if not name:
        bag.add(("actors", i, "name"), "the actor name is empty", line)
    description = (row.cell(1) or "").strip()
    capability = bag.number(row.cell(2), ("actors", i, "capability"), line, "capability",
                            0.0, MAX_CAPABILITY)
    positions: list[float | None] = []
    saliences: list[float | None] = []
    for k in range(m):
        positions.append(bag.number(row.cell(3 + 2 * k), ("actors", i, "positions", pos_names[k]),
                                    line, "position", 0.0, 100.0))
        saliences.append(bag.number(row.cell(4 + 2 * k), ("actors", i, "saliences", sal_names[k]),
                                    line, "salience", 0.0, 100.0))
    if all(s is not None for s in saliences):
        total = 0.0
        for s in saliences:
            total += s or 0.0
        if total > 100.0 + _SUM_TOLERANCE:
            bag.add(("actors", i, "saliences"),
                    f"the saliences sum to {total:g}; KTAB needs each actor's saliences to total "
                    "at most 100", line)
        elif total == 0.0:
            bag.add(("actors", i, "saliences"),
                    "every salience is 0; KTAB needs at least one salience above 0 per actor",
                    line)
    return _ActorRow(line, name, description, capability, positions, saliences)


def read_ktab_csv(path: str | Path) -> Scenario:
    """Read a KTAB SMP CSV file as a scenario (see :func:`parse_ktab_csv`)."""
    text, name = read_text_file(path, "KTAB CSV file")
    return parse_ktab_csv(text, name)


# --- writing ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    flat = " ".join(split_lines(text))
    if "," in flat or '"' in flat:
        return '"' + flat.replace('"', '""') + '"'
    return flat


def _position_label(name: str, description: str) -> str:
    return description if description and description.strip() == name else name


def _salience_label(position_label: str) -> str:
    if position_label.endswith("Position"):
        return position_label[: -len("Position")] + "Salience"
    stripped = position_label.lstrip()
    if stripped.startswith("Pstn"):
        return position_label[: len(position_label) - len(stripped)] + "Sal" + stripped[4:]
    return position_label + " Salience"


def _total(values: Sequence[float]) -> float:
    out = 0.0
    for v in values:
        out += v
    return out


def _ktab_saliences(values: Sequence[float]) -> list[float]:
    """``values`` scaled to total exactly 100 if they total more (else unchanged)."""
    total = _total(values)
    if total <= 100.0:
        return list(values)
    out = [v * 100.0 / total for v in values]
    while _total(out) > 100.0 or _total([v / 100.0 for v in out]) > 1.0:
        k = max(range(len(out)), key=lambda j: out[j])
        out[k] = math.nextafter(out[k], 0.0)
    return out


def format_ktab_csv(scenario: Scenario) -> str:
    """The scenario as KTAB SMP CSV text; see the module docstring for what is kept and how.

    Raises :class:`AccordError` if the scenario cannot be expressed in the format.
    """
    n = len(scenario.actors)
    if not MIN_ACTORS <= n <= MAX_ACTORS:
        raise AccordError(
            f"scenario '{scenario.id}' has {n} actors; KTAB CSV needs between {MIN_ACTORS} and "
            f"{MAX_ACTORS}"
        )
    for actor in scenario.actors:
        if actor.absent_from:
            raise AccordError(
                f"actor '{actor.id}' is absent from issue '{actor.absent_from[0]}'; KTAB CSV "
                "needs a position and a salience for every actor on every issue"
            )
        cap = actor.capability.value
        if cap > MAX_CAPABILITY:
            raise AccordError(
                f"actor '{actor.id}' has capability {_fmt(cap)}; KTAB accepts at most 1e8, so "
                "rescale the capabilities"
            )
        if all(actor.saliences[i].value == 0.0 for i in scenario.issue_ids):
            raise AccordError(
                f"actor '{actor.id}' has salience 0 on every issue; KTAB needs at least one "
                "salience above 0 per actor"
            )

    description = scenario.description
    if description == f"{IMPORT_NOTE}.":
        description = ""
    elif description.startswith(f"{IMPORT_NOTE}: "):
        description = description[len(IMPORT_NOTE) + 2 :]
    out = [f"{_cell(scenario.name)},{_cell(description)},{n},{len(scenario.issues)}"]
    labels = ["Actor", "Description", "Influence"]
    for issue in scenario.issues:
        label = _position_label(issue.name, issue.description)
        labels += [_cell(label), _cell(_salience_label(label))]
    out.append(",".join(labels))
    for actor in scenario.actors:
        sal = _ktab_saliences([actor.saliences[i].value for i in scenario.issue_ids])
        cells = [_cell(actor.name), _cell(actor.description), repr(actor.capability.value)]
        for k, iid in enumerate(scenario.issue_ids):
            cells += [repr(actor.positions[iid].value), repr(sal[k])]
        out.append(",".join(cells))
    return "\n".join(out) + "\n"
