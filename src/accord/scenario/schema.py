"""The scenario format: immutable pydantic v2 models.

A :class:`Scenario` holds actors, issues, sources and levers. Every numeric value is a
:class:`Param`: in YAML either a bare number or ``{value, low, high, dist, evidence}``.
Cross-references (actor and issue ids, evidence sources, lever targets) are checked when a
scenario is built, and problems are reported with their field path (see :mod:`accord.errors`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from accord.errors import PathPart, Problem, ScenarioError

__all__ = [
    "ID_MAX",
    "ID_PATTERN",
    "Actor",
    "Capability",
    "Distribution",
    "Edit",
    "Evidence",
    "Issue",
    "Lever",
    "Param",
    "Percent",
    "RawScale",
    "Scenario",
    "Source",
    "slug",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Distribution = Literal["triangular", "pert", "uniform"]
Field_ = Literal["position", "salience", "capability", "status_quo", "parameter"]
Operation = Literal["set", "add", "scale"]

ID_MAX = 80
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Evidence(_Frozen):
    """The claim in a source that justifies a value: source id, paragraph, paraphrase, reasoning."""

    source: Id
    paragraph: int = Field(ge=1)
    claim: str = Field(min_length=1, description="the source's claim, paraphrased in our own words")
    reasoning: str = Field(default="", description="why the claim gives this number")


class Param(_Frozen):
    """A numeric value, optionally with an uncertainty range ``[low, high]`` and its evidence.

    ``dist`` names the distribution used when the value is sampled (``low``/``high`` given):
    triangular (default, mode = value), PERT, or uniform.
    """

    value: float
    low: float | None = None
    high: float | None = None
    dist: Distribution = "triangular"
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError(f"expected a number, got {data!r}")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str):
            try:
                return {"value": float(data)}
            except ValueError:
                raise ValueError(f"expected a number, got {data!r}") from None
        return data

    @model_validator(mode="after")
    def _check_range(self) -> Param:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if (
            self.low is not None
            and self.high is not None
            and not self.low <= self.value <= self.high
        ):
            raise ValueError(
                f"value {_fmt(self.value)} must lie within low {_fmt(self.low)} and "
                f"high {_fmt(self.high)}"
            )
        return self

    @property
    def uncertain(self) -> bool:
        """True when the value has a range (``low < high``)."""
        return self.low is not None and self.high is not None and self.low < self.high

    def with_value(self, value: float) -> Param:
        """A copy holding ``value``; its range is widened if needed to keep it valid."""
        low = None if self.low is None else min(self.low, value)
        high = None if self.high is None else max(self.high, value)
        return self.model_copy(update={"value": value, "low": low, "high": high})

    @model_serializer(mode="wrap")
    def _serialize(self, handler: Callable[[Any], dict[str, Any]]) -> Any:
        if self.low is None and not self.evidence and self.dist == "triangular":
            return _number(self.value)
        data = handler(self)
        out: dict[str, Any] = {"value": _number(self.value)}
        if self.low is not None:
            out["low"] = _number(self.low)
            out["high"] = _number(self.high if self.high is not None else self.low)
        if self.dist != "triangular":
            out["dist"] = self.dist
        if self.evidence:
            out["evidence"] = data["evidence"]
        return out


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)


def _fmt(x: float) -> str:
    return f"{_number(x)}"


def _within(lo: float, hi: float) -> Callable[[Param], Param]:
    def check(p: Param) -> Param:
        for name, v in (("value", p.value), ("low", p.low), ("high", p.high)):
            if v is not None and not lo <= v <= hi:
                what = "" if name == "value" else f"{name} "
                raise ValueError(f"{what}{_fmt(v)} is outside {_fmt(lo)}–{_fmt(hi)}")
        return p

    return check


def _non_negative(p: Param) -> Param:
    for name, v in (("value", p.value), ("low", p.low), ("high", p.high)):
        if v is not None and v < 0:
            what = "" if name == "value" else f"{name} "
            raise ValueError(f"{what}{_fmt(v)} is negative; capabilities must be ≥ 0")
    return p


Percent = Annotated[Param, AfterValidator(_within(0.0, 100.0))]
Capability = Annotated[Param, AfterValidator(_non_negative)]


class Source(_Frozen):
    """A cited document."""

    id: Id
    title: str = Field(min_length=1)
    author: str = ""
    published: str = ""
    date: str = ""
    file: str | None = Field(default=None, description="file name of a local copy, if any")
    url: str | None = None


class RawScale(_Frozen):
    """An issue's original measurement scale; accord works on 0–100 internally."""

    low: float
    high: float
    unit: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> RawScale:
        if not self.low < self.high:
            raise ValueError(f"low {_fmt(self.low)} must be below high {_fmt(self.high)}")
        return self

    def to_internal(self, raw: float) -> float:
        return (raw - self.low) * 100.0 / (self.high - self.low)

    def to_raw(self, value: float) -> float:
        return self.low + value * (self.high - self.low) / 100.0


class Issue(_Frozen):
    """One dimension of the agreement, on a 0–100 scale with labelled anchor points."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    anchors: dict[float, str] = Field(default_factory=dict)
    status_quo: Percent | None = None
    scale: RawScale | None = None

    @field_validator("anchors")
    @classmethod
    def _anchors_in_range(cls, anchors: dict[float, str]) -> dict[float, str]:
        for point in anchors:
            if not (math.isfinite(point) and 0.0 <= point <= 100.0):
                raise ValueError(f"anchor point {_fmt(point)} is outside 0–100")
        return dict(sorted(anchors.items()))

    def nearest_anchor(self, value: float) -> str:
        """Label of the anchor point closest to ``value`` ('' if the issue has none)."""
        if not self.anchors:
            return ""
        point = min(self.anchors, key=lambda a: (abs(a - value), a))
        return self.anchors[point]

    @model_serializer(mode="wrap")
    def _serialize(self, handler: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        data = handler(self)
        if "anchors" in data:
            data["anchors"] = {_number(k): v for k, v in self.anchors.items()}
        return data


class Actor(_Frozen):
    """A party: capability (clout) and, per issue, a position (ideal point) and a salience."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    capability: Capability
    positions: dict[str, Percent]
    saliences: dict[str, Percent]
    absent_from: tuple[str, ...] = Field(
        default=(), description="issues this actor takes no part in (no position, no salience)"
    )


class Edit(_Frozen):
    """One edit of a lever: ``field`` of (``actor``, ``issue``) changed by ``op``.

    ``field: parameter`` edits one of the scenario's named ``parameters`` (e.g. a protocol's
    detection probability), named by ``parameter``.
    """

    field: Field_
    actor: str | None = None
    issue: str | None = None
    parameter: str | None = None
    op: Operation = "set"
    value: Param

    @model_validator(mode="after")
    def _targets(self) -> Edit:
        needs = {
            "position": (True, True),
            "salience": (True, True),
            "capability": (True, False),
            "status_quo": (False, True),
            "parameter": (False, False),
        }[self.field]
        if (self.field == "parameter") != (self.parameter is not None):
            raise ValueError(
                "an edit of a parameter needs its name in 'parameter'"
                if self.field == "parameter"
                else f"an edit of {self.field} takes no 'parameter'"
            )
        for name, needed, got in (
            ("actor", needs[0], self.actor),
            ("issue", needs[1], self.issue),
        ):
            if needed and got is None:
                raise ValueError(f"an edit of {self.field} needs an {name}")
            if not needed and got is not None:
                raise ValueError(f"an edit of {self.field} takes no {name}")
        v = self.value.value
        if self.op == "scale" and v < 0:
            raise ValueError(f"scale factor {_fmt(v)} is negative")
        if self.op == "set" and self.field in ("position", "salience", "status_quo") and not (
            0.0 <= v <= 100.0
        ):
            raise ValueError(f"{_fmt(v)} is outside 0–100")
        if self.op == "set" and self.field == "capability" and v < 0:
            raise ValueError(f"capability {_fmt(v)} is negative")
        return self


class Lever(_Frozen):
    """A named policy move: a set of parameter edits, with the evidence for it."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    edits: tuple[Edit, ...] = Field(min_length=1)
    evidence: tuple[Evidence, ...] = ()


class Scenario(_Frozen):
    """An immutable description of one negotiation.

    Build variants with ``scenario.model_copy(update=...)`` followed by
    ``Scenario.model_validate(variant.model_dump())`` when the update must be re-checked, or use
    the lever functions, which do this for you.
    """

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    date: str = ""
    sources: tuple[Source, ...] = ()
    issues: tuple[Issue, ...] = Field(min_length=1)
    actors: tuple[Actor, ...] = Field(min_length=2)
    levers: tuple[Lever, ...] = ()
    parameters: dict[Id, Param] = Field(
        default_factory=dict,
        description="named numbers that models and protocols read (e.g. detection), with evidence",
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = list(_reference_problems(self))
        if problems:
            # Not a ValueError: pydantic lets it through unchanged, so paths stay precise.
            raise ScenarioError(problems)
        return self

    # --- convenient look-ups -------------------------------------------------------------
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise _unknown("actor", actor_id, self.actor_ids)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise _unknown("issue", issue_id, self.issue_ids)

    def lever(self, lever_id: str) -> Lever:
        for lever in self.levers:
            if lever.id == lever_id:
                return lever
        raise _unknown("lever", lever_id, tuple(lv.id for lv in self.levers))


def _unknown(kind: str, name: str, known: tuple[str, ...]) -> Exception:
    from accord.errors import UnknownNameError

    listing = ", ".join(known) if known else "none"
    return UnknownNameError(f"unknown {kind} '{name}'; this scenario has: {listing}")


def _duplicates(ids: list[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            yield i, x
        seen.add(x)


def _evidence_items(s: Scenario) -> Iterator[tuple[tuple[PathPart, ...], Evidence]]:
    def from_param(p: Param | None, path: tuple[PathPart, ...]) -> Iterator[Any]:
        if p is not None:
            for j, ev in enumerate(p.evidence):
                yield (*path, "evidence", j), ev

    for i, issue in enumerate(s.issues):
        yield from from_param(issue.status_quo, ("issues", i, "status_quo"))
    for i, actor in enumerate(s.actors):
        yield from from_param(actor.capability, ("actors", i, "capability"))
        for kind in ("positions", "saliences"):
            for k, p in getattr(actor, kind).items():
                yield from from_param(p, ("actors", i, kind, k))
    for name, p in s.parameters.items():
        yield from from_param(p, ("parameters", name))
    for i, lever in enumerate(s.levers):
        for j, ev in enumerate(lever.evidence):
            yield ("levers", i, "evidence", j), ev
        for j, edit in enumerate(lever.edits):
            yield from from_param(edit.value, ("levers", i, "edits", j, "value"))


def _reference_problems(s: Scenario) -> Iterator[Problem]:
    for kind, items in (("source", s.sources), ("issue", s.issues), ("actor", s.actors)):
        for i, x in _duplicates([it.id for it in items]):
            yield Problem((f"{kind}s", i, "id"), f"duplicate {kind} id '{x}'")
    for i, x in _duplicates([lv.id for lv in s.levers]):
        yield Problem(("levers", i, "id"), f"duplicate lever id '{x}'")

    issues = set(s.issue_ids)
    actors = set(s.actor_ids)
    sources = {src.id for src in s.sources}

    for i, actor in enumerate(s.actors):
        for j, absent in enumerate(actor.absent_from):
            if absent not in issues:
                yield Problem(("actors", i, "absent_from", j), f"unknown issue '{absent}'")
        expected = [k for k in s.issue_ids if k not in actor.absent_from]
        for kind, other in (("positions", "saliences"), ("saliences", "positions")):
            values: dict[str, Param] = getattr(actor, kind)
            for k in values:
                if k not in issues:
                    yield Problem(("actors", i, kind, k), f"unknown issue '{k}'")
                elif k in actor.absent_from:
                    yield Problem(
                        ("actors", i, kind, k),
                        f"'{k}' is listed in absent_from but has a {kind[:-1]}",
                    )
            for k in expected:
                if k not in values:
                    hint = (
                        f" (it has a {other[:-1]} there)" if k in getattr(actor, other) else ""
                    )
                    yield Problem(
                        ("actors", i, kind),
                        f"missing {kind[:-1]} for issue '{k}'{hint}; give one, or list the "
                        "issue under absent_from",
                    )

    for n, issue in enumerate(s.issues):
        weight = 0.0
        for actor in s.actors:
            if issue.id in actor.saliences:
                weight += actor.capability.value * actor.saliences[issue.id].value
        if weight <= 0.0:
            yield Problem(
                ("issues", n),
                f"no actor has both capability and salience above 0 on issue '{issue.id}'",
            )

    for path, ev in _evidence_items(s):
        if ev.source not in sources:
            known = ", ".join(sorted(sources)) or "none defined"
            yield Problem(
                (*path, "source"), f"unknown source '{ev.source}' (sources: {known})"
            )

    for i, lever in enumerate(s.levers):
        for j, edit in enumerate(lever.edits):
            if edit.actor is not None and edit.actor not in actors:
                yield Problem(("levers", i, "edits", j, "actor"), f"unknown actor '{edit.actor}'")
            if edit.issue is not None and edit.issue not in issues:
                yield Problem(("levers", i, "edits", j, "issue"), f"unknown issue '{edit.issue}'")
            if edit.parameter is not None and edit.parameter not in s.parameters:
                known = ", ".join(s.parameters) or "none declared"
                yield Problem(
                    ("levers", i, "edits", j, "parameter"),
                    f"unknown parameter '{edit.parameter}' (scenario parameters: {known})",
                )
            if (
                edit.actor in actors
                and edit.issue in issues
                and edit.issue in s.actor(edit.actor).absent_from
            ):
                yield Problem(
                    ("levers", i, "edits", j),
                    f"actor '{edit.actor}' is absent from issue '{edit.issue}'",
                )


_SLUG = re.compile(r"[^A-Za-z0-9_.\-]+")


def slug(text: str) -> str:
    """A valid id made from free text (used by importers): at most 80 characters, never empty."""
    out = _SLUG.sub("-", text.strip()).lstrip("-._")[:ID_MAX].rstrip("-.")
    return out or "x"
