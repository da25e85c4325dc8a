"""decide-exchange-model data files: read them as scenarios.

The format (the input of the decide-exchange-model package, Stokman's exchange model) is plain
text, one record per line. Fields are separated by TAB, semicolon or comma (detected from the
first record: the character after its tag). Text fields, the tag included, are wrapped in single
quotes (``''`` inside stands for one quote); numbers are bare. Records:

=========== ====================================================== ===========================
tag         fields after the tag                                   accord
=========== ====================================================== ===========================
``#A``      actor id, display name, comment                        an :class:`Actor`
``#P``      issue name, description                                an :class:`Issue`
``#M``      issue name, value, (description)                      an anchor of the issue
``#D``      actor id, issue name, position, salience, power,       the actor's position and
            (comment)                                              salience on the issue
``#/``      free text (comment)                                    ignored
``#O``      free text (description)                                ignored
=========== ====================================================== ===========================

Surplus fields are merged, joined by the file's delimiter, into the record's last text field; any
other tag is an error. Numbers are read exactly as decimals (:class:`decimal.Decimal`) and turned
into floats only after the arithmetic below, so the printed numbers survive a round trip.

Mapping, decide → accord:

* Scenario: ``id`` = slug of the file's stem, ``name`` = the stem, ``description`` says it was
  imported (and from which file). decide has no status quo: ``Issue.status_quo`` stays unset.
* ``#A``: ``Actor.id`` = the decide id if it is a valid accord id, else its slug (made unique);
  ``Actor.name`` = the display name (the id if empty); ``Actor.description`` = the comment.
* ``#P``: ``Issue.id`` = the issue name if valid, else its slug (made unique); ``Issue.name`` =
  the issue name exactly; ``Issue.description`` = the description (with merged surplus fields,
  e.g. ``"Newtreaty\\t"`` for the three-field ``#P`` rows of copenhagen.csv).
* ``#M``: the smallest and largest values are the issue's raw bounds (0 and 100 without ``#M``
  rows); they must come in ascending order, at least two distinct values, as the package requires.
  Bounds other than 0–100 become ``Issue.scale = RawScale(low, high)``. Every ``#M`` value becomes
  an anchor at its 0–100 point, labelled with its description, or with the value as written.
* ``#D``: position → ``(raw − lower) × 100 / (upper − lower)`` (so unchanged on 0–100 issues);
  salience (0–1 in decide) × 100 → accord's 0–100 salience, and a salience above 1 is an error;
  power → ``Actor.capability``. decide gives power per (actor, issue), accord one capability per
  actor: every ``#D`` row of an actor must carry the same power, else it is an error. An actor with
  no ``#D`` row for an issue is listed in ``Actor.absent_from``. ``#D`` comments are dropped.

Validation (each problem reported as ``file:line: path: message``): unknown tags, too few fields,
unclosed quotes, non-numeric or non-finite numbers, unknown actor or issue in ``#M``/``#D``,
duplicate ``#A``/``#P`` names and duplicate (actor, issue) ``#D`` rows, position outside the
issue's raw bounds, salience outside 0–1, power outside 0–100 (the package's limit), differing
powers, an actor without ``#D`` rows, and an empty file.

Writing a scenario back as decide text is :mod:`accord.scenario.decide_write`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from accord.errors import PathPart, Problem, ScenarioError
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
    "DECIMAL_CONTEXT",
    "is_decide_text",
    "parse_decide",
    "plain_id",
    "read_decide",
    "to_internal",
]

DECIMAL_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)
_VALID_ID = re.compile(ID_PATTERN)
_TAG_START = re.compile(r"[ \t]*(?:'#[APMDO/]'|#[APMDO/](?=$|[ \t;,]))")
_DELIMITERS = "\t;,"
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_MAX_EXPONENT = 300


@dataclass(frozen=True)
class _Layout:
    fields: tuple[str, ...]
    required: int


_LAYOUTS: dict[str, _Layout] = {
    "#A": _Layout(("actor id", "display name", "comment"), 1),
    "#P": _Layout(("issue name", "description"), 1),
    "#M": _Layout(("issue name", "value", "description"), 2),
    "#D": _Layout(("actor id", "issue name", "position", "salience", "power", "comment"), 5),
}
_IGNORED = ("#/", "#O")


@dataclass
class _Record:
    line: int
    tag: str
    values: list[str]
    given: int  # how many fields the line had after the tag (before padding)


class _FieldError(ValueError):
    pass


# --- reading ---------------------------------------------------------------------------------


def is_decide_text(text: str) -> bool:
    """True when the first non-blank line starts with a decide tag (``'#A'`` or ``#A``, ...)."""
    for line in split_lines(text):
        if line.strip():
            return _TAG_START.match(line) is not None
    return False


def _detect_delimiter(lines: Sequence[str]) -> str:
    """The character after the tag of the first record that has one (TAB if none does)."""
    for line in lines:
        s = line.lstrip(" ")
        if not s:
            continue
        if s.startswith("'"):
            close = s.find("'", 1)
            if close < 0:
                continue
            tag, rest = s[1:close], s[close + 1 :]
        else:
            tag, rest = s[:2], s[2:]
        if tag in _IGNORED:
            continue
        rest = rest.lstrip(" ")
        if rest and rest[0] in _DELIMITERS:
            return rest[0]
    return "\t"


def _split_fields(line: str, delim: str) -> list[str]:
    """Fields of one record. A field starting with ``'`` runs to the next single ``'``, which must
    be followed by the delimiter or the end of the line; ``''`` inside stands for one quote.
    Unquoted fields are stripped of surrounding blanks."""
    blanks = " " if delim == "\t" else " \t"
    out: list[str] = []
    i, n = 0, len(line)
    while True:
        j = i
        while j < n and line[j] in blanks:
            j += 1
        if j < n and line[j] == "'":
            buf: list[str] = []
            k = j + 1
            end = -1
            while k < n:
                c = line[k]
                if c == "'":
                    if line[k + 1 : k + 2] == "'":
                        buf.append("'")
                        k += 2
                        continue
                    after = k + 1
                    while after < n and line[after] in blanks:
                        after += 1
                    if after == n or line[after] == delim:
                        end = after
                        break
                    raise _FieldError(
                        f"the quote at column {k + 1} ends the quoted field that starts at column "
                        f"{j + 1}, but no {_delimiter_name(delim)} follows it; a quote inside a "
                        "text field is written twice ('')"
                    )
                buf.append(c)
                k += 1
            if end < 0:
                raise _FieldError(
                    f"the quoted field starting at column {j + 1} is not closed; text fields are "
                    "wrapped in single quotes, and a quote inside one is written twice ('')"
                )
            out.append("".join(buf))
        else:
            end = line.find(delim, j)
            end = n if end < 0 else end
            out.append(line[j:end].strip(blanks))
        if end >= n:
            return out
        i = end + 1


def _delimiter_name(delim: str) -> str:
    return {"\t": "TAB", ";": "semicolon", ",": "comma"}[delim]


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, path: tuple[PathPart, ...], message: str, line: int) -> None:
        self.problems.append(Problem(path, message, line))

    def decimal(self, text: str, rec: _Record, field: str) -> Decimal | None:
        s = text.strip()
        path = (rec.tag, field)
        if not s:
            self.add(path, f"the {field} is empty; expected a number", rec.line)
            return None
        if NOT_FINITE.fullmatch(s):
            self.add(path, f"'{s}' is not allowed; give a finite number for the {field}",
                     rec.line)
            return None
        if not NUMBER.fullmatch(s):
            shown = s if len(s) <= 40 else s[:37] + "..."
            self.add(path, f"'{shown}' is not a number; expected the {field}", rec.line)
            return None
        d = Decimal(s)
        if not d.is_zero() and abs(d.adjusted()) > _MAX_EXPONENT:
            self.add(path, f"{field} {s} is too large or too small to compute with", rec.line)
            return None
        return d


def _records(lines: Sequence[str], delim: str, reader: _Reader) -> list[_Record]:
    records: list[_Record] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fields = _split_fields(line, delim)
        except _FieldError as exc:
            reader.add(("record",), str(exc), number)
            continue
        if not any(fields):
            continue
        tag = fields[0]
        if tag in _IGNORED:
            continue
        layout = _LAYOUTS.get(tag)
        if layout is None:
            shown = tag if len(tag) <= 20 else tag[:17] + "..."
            hint = ""
            if any(t in tag for t in ("\t", ";", ",")):
                hint = (f" (fields are split at the {_delimiter_name(delim)}, detected from the "
                        "first record)")
            reader.add(("record", "tag"),
                       f"unknown tag '{shown}'{hint}; a record starts with #A (actor), "
                       "#P (issue), #M (anchor), #D (actor data), #/ or #O (comment)", number)
            continue
        values = fields[1:]
        if len(values) < layout.required:
            names = ", ".join(layout.fields[: layout.required])
            reader.add((tag,),
                       f"{tag} needs {layout.required} field{'s' * (layout.required > 1)} after "
                       f"the tag ({names}) but has {len(values)}", number)
            continue
        given = len(values)
        width = len(layout.fields)
        if given > width:
            values = [*values[: width - 1], delim.join(values[width - 1 :])]
        values += [""] * (width - len(values))
        records.append(_Record(number, tag, values, given))
    return records


def plain_id(key: str) -> str:
    """A decide key as an accord id: itself when it is a valid id, else its slug."""
    return key if len(key) <= 80 and _VALID_ID.match(key) else slug(key)


def to_internal(raw: Decimal, lower: Decimal, upper: Decimal) -> float:
    """A raw value on the issue's scale lower–upper, mapped to accord's 0–100 (exactly when the
    scale already is 0–100)."""
    if lower == _ZERO and upper == _HUNDRED:
        return float(raw)
    shifted = DECIMAL_CONTEXT.multiply(DECIMAL_CONTEXT.subtract(raw, lower), _HUNDRED)
    return float(DECIMAL_CONTEXT.divide(shifted, DECIMAL_CONTEXT.subtract(upper, lower)))


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "") if names else "none"


@dataclass
class _IssueInfo:
    key: str
    record: _Record
    lower: Decimal = _ZERO
    upper: Decimal = _HUNDRED
    anchors: dict[float, str] | None = None
    first_anchor_line: int | None = None


def parse_decide(text: str, file: str = "<string>") -> Scenario:
    """Read decide-exchange-model text as a scenario; raise :class:`ScenarioError` if invalid.

    ``file`` names the source in error messages and gives the scenario its id and name.
    """
    lines = split_lines(text)
    delim = _detect_delimiter(lines)
    reader = _Reader(file)
    records = _records(lines, delim, reader)
    if not records and not reader.problems:
        raise ScenarioError(
            [Problem((), "the file has no records; a decide file needs #A (actors), #P (issues) "
                         "and #D (actor data) lines", 1)],
            file,
        )

    # --- #A and #P --------------------------------------------------------------------------
    actors: dict[str, _Record] = {}
    issues: dict[str, _IssueInfo] = {}
    for rec in records:
        if rec.tag not in ("#A", "#P"):
            continue
        key = rec.values[0]
        what, field = ("actor", "actor id") if rec.tag == "#A" else ("issue", "issue name")
        if not key.strip():
            reader.add((rec.tag, field), f"the {field} is empty", rec.line)
            continue
        seen: dict[str, Any] = actors if rec.tag == "#A" else issues
        if key in seen:
            first = seen[key].line if rec.tag == "#A" else seen[key].record.line
            reader.add((rec.tag, field),
                       f"{what} '{key}' is declared twice (first on line {first})", rec.line)
            continue
        if rec.tag == "#A":
            actors[key] = rec
        else:
            issues[key] = _IssueInfo(key, rec)
    first_line = records[0].line if records else 1
    if records and not actors:
        reader.add((), "no actors: declare each with an #A record", first_line)
    if records and not issues:
        reader.add((), "no issues: declare each with a #P record", first_line)

    # --- #M: bounds and anchors ---------------------------------------------------------------
    marks: dict[str, list[tuple[_Record, Decimal]]] = {}
    for rec in records:
        if rec.tag != "#M":
            continue
        key = rec.values[0]
        if key not in issues:
            if issues:
                reader.add(("#M", "issue name"),
                           f"unknown issue '{key}'; declare it with a #P record (issues: "
                           f"{_listing(list(issues))})", rec.line)
            continue
        value = reader.decimal(rec.values[1], rec, "value")
        if value is not None:
            marks.setdefault(key, []).append((rec, value))
    for key, rows in marks.items():
        info = issues[key]
        ok = True
        for (prev, pv), (rec, v) in pairwise(rows):
            if v < pv:
                reader.add(("#M", "value"),
                           f"the #M values of issue '{key}' must be in ascending order: {v} "
                           f"comes after {pv} (line {prev.line}); the smallest and largest give "
                           "the issue's raw scale", rec.line)
                ok = False
            elif v == pv:
                reader.add(("#M", "value"),
                           f"issue '{key}' has the value {v} twice (also on line {prev.line})",
                           rec.line)
                ok = False
        if ok and len(rows) == 1:
            reader.add(("#M", "value"),
                       f"issue '{key}' has a single #M row; give at least two (its lower and "
                       "upper bound), or none for a 0–100 scale", rows[0][0].line)
            ok = False
        if not ok:
            continue
        info.lower, info.upper = rows[0][1], rows[-1][1]
        info.first_anchor_line = rows[0][0].line
        info.anchors = {}
        for rec, v in rows:
            point = to_internal(v, info.lower, info.upper)
            if point in info.anchors:
                reader.add(("#M", "value"),
                           f"the value {v} of issue '{key}' is too close to another to be told "
                           "apart", rec.line)
                continue
            label = rec.values[2] if rec.given >= 3 and rec.values[2] else rec.values[1].strip()
            info.anchors[point] = label

    # --- #D --------------------------------------------------------------------------------
    positions: dict[str, dict[str, float]] = {k: {} for k in actors}
    saliences: dict[str, dict[str, float]] = {k: {} for k in actors}
    data_lines: dict[tuple[str, str], int] = {}
    powers: dict[str, tuple[_Record, Decimal, str]] = {}
    for rec in records:
        if rec.tag != "#D":
            continue
        akey, ikey = rec.values[0], rec.values[1]
        known = True
        if akey not in actors:
            if actors:
                reader.add(("#D", "actor id"),
                           f"unknown actor '{akey}'; declare it with an #A record (actors: "
                           f"{_listing(list(actors))})", rec.line)
            known = False
        if ikey not in issues:
            if issues:
                reader.add(("#D", "issue name"),
                           f"unknown issue '{ikey}'; declare it with a #P record (issues: "
                           f"{_listing(list(issues))})", rec.line)
            known = False
        position = reader.decimal(rec.values[2], rec, "position")
        salience = reader.decimal(rec.values[3], rec, "salience")
        power = reader.decimal(rec.values[4], rec, "power")
        if not known:
            continue
        if (akey, ikey) in data_lines:
            reader.add(("#D",),
                       f"actor '{akey}' has a second #D row for issue '{ikey}' (first on line "
                       f"{data_lines[(akey, ikey)]})", rec.line)
            continue
        data_lines[(akey, ikey)] = rec.line
        info = issues[ikey]
        if position is not None:
            if not info.lower <= position <= info.upper:
                scale = "set by its #M rows" if info.anchors else "0–100 without #M rows"
                reader.add(("#D", "position"),
                           f"position {position} of '{akey}' on '{ikey}' is outside the issue's "
                           f"scale {info.lower}–{info.upper} ({scale})", rec.line)
            else:
                positions[akey][ikey] = to_internal(position, info.lower, info.upper)
        if salience is not None:
            if salience < _ZERO:
                reader.add(("#D", "salience"),
                           f"salience {salience} of '{akey}' on '{ikey}' is negative", rec.line)
            elif salience > 1:
                reader.add(("#D", "salience"),
                           f"salience {salience} of '{akey}' on '{ikey}' is above 1; decide "
                           "saliences run from 0 to 1 and accord multiplies them by 100 "
                           "(0.6 becomes 60), so give it on the 0–1 scale", rec.line)
            else:
                saliences[akey][ikey] = float(DECIMAL_CONTEXT.multiply(salience, _HUNDRED))
        if power is not None:
            if not _ZERO <= power <= _HUNDRED:
                reader.add(("#D", "power"),
                           f"power {power} of '{akey}' on '{ikey}' is outside 0–100", rec.line)
            elif akey not in powers:
                powers[akey] = (rec, power, ikey)
            elif power != powers[akey][1]:
                first, fp, fi = powers[akey]
                reader.add(("#D", "power"),
                           f"actor '{akey}' has power {power} on '{ikey}' but {fp} on '{fi}' "
                           f"(line {first.line}); accord gives each actor one capability, so "
                           "its power must be the same on all its issues", rec.line)
    for key, rec in actors.items():
        if not any(a == key for a, _ in data_lines):
            reader.add(("#A", "actor id"),
                       f"actor '{key}' has no #D rows; give its position, salience and power "
                       "on at least one issue", rec.line)
    if reader.problems:
        raise ScenarioError(reader.problems, file)

    # --- build -----------------------------------------------------------------------------
    used: set[str] = set()
    issue_ids = {k: unique_id(plain_id(k), used) for k in issues}
    used = set()
    actor_ids = {k: unique_id(plain_id(k), used) for k in actors}
    lines_map: dict[tuple[PathPart, ...], int] = {(): first_line}
    issue_data: list[dict[str, Any]] = []
    for n, (key, info) in enumerate(issues.items()):
        entry: dict[str, Any] = {"id": issue_ids[key], "name": key,
                                 "description": info.record.values[1]}
        if info.anchors:
            entry["anchors"] = info.anchors
        if (info.lower, info.upper) != (_ZERO, _HUNDRED):
            entry["scale"] = {"low": float(info.lower), "high": float(info.upper)}
        issue_data.append(entry)
        lines_map[("issues", n)] = info.record.line
        if n == 0:
            lines_map[("issues",)] = info.record.line
        if info.first_anchor_line is not None:
            lines_map[("issues", n, "anchors")] = info.first_anchor_line
            lines_map[("issues", n, "scale")] = info.first_anchor_line
    actor_data: list[dict[str, Any]] = []
    for n, (key, rec) in enumerate(actors.items()):
        present = [k for k in issues if (key, k) in data_lines]
        actor_data.append({
            "id": actor_ids[key],
            "name": rec.values[1] if rec.values[1].strip() else key,
            "description": rec.values[2],
            "capability": float(powers[key][1]),
            "positions": {issue_ids[k]: positions[key][k] for k in present},
            "saliences": {issue_ids[k]: saliences[key][k] for k in present},
            "absent_from": [issue_ids[k] for k in issues if k not in present],
        })
        lines_map[("actors", n)] = rec.line
        if n == 0:
            lines_map[("actors",)] = rec.line
        lines_map[("actors", n, "capability")] = powers[key][0].line
        for k in present:
            for kind in ("positions", "saliences"):
                lines_map[("actors", n, kind, issue_ids[k])] = data_lines[(key, k)]
    stem = "" if not file or file.startswith("<") else Path(file).stem
    source = f" ({Path(file).name})" if stem else ""
    data: dict[str, Any] = {
        "id": slug(stem) if stem else "decide-import",
        "name": stem or "decide-exchange-model data",
        "description": f"Imported from decide-exchange-model data{source}.",
        "issues": issue_data,
        "actors": actor_data,
    }
    return build_scenario(data, file, lines_map)


def read_decide(path: str | Path) -> Scenario:
    """Read a decide-exchange-model file as a scenario (see :func:`parse_decide`)."""
    text, name = read_text_file(path, "decide-exchange-model file")
    return parse_decide(text, name)
