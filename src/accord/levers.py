"""Levers: apply named policy moves to a scenario, giving a new scenario (pure).

An edit ``set``s, ``add``s to or ``scale``s one value: an actor's position, salience or
capability, an issue's status quo, or a named scenario parameter. Values stay on their scale:
positions, saliences and status quo are clipped to 0–100 and capabilities to ≥ 0 (a lever that
"adds 20" to a position of 90 moves it to the end of the scale, 100).

Uncertainty ranges follow the value: ``set`` adopts the edit's own value and range; ``add`` and
``scale`` shift or stretch the range by the edit's range (low with low, high with high).
Applying several levers applies their edits in order, lever by lever.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from accord.errors import AccordError, Problem, ScenarioError
from accord.scenario.schema import Edit, Evidence, Lever, Param, Scenario

__all__ = ["apply_edit", "apply_lever", "apply_levers"]


def _bounds(edit: Edit) -> tuple[float, float]:
    if edit.field in ("position", "salience", "status_quo"):
        return 0.0, 100.0
    if edit.field == "capability":
        return 0.0, float("inf")
    return float("-inf"), float("inf")


def _combine(old: Param, edit: Edit, evidence: tuple[Evidence, ...]) -> Param:
    e = edit.value
    lo_b, hi_b = _bounds(edit)

    def clip(x: float) -> float:
        return min(max(x, lo_b), hi_b)

    if edit.op == "set":
        value, low, high, dist = e.value, e.low, e.high, e.dist
    else:
        def apply(a: float, b: float) -> float:
            return a + b if edit.op == "add" else a * b

        value = apply(old.value, e.value)
        if old.low is None and e.low is None:
            low = high = None
        else:
            o_lo = old.value if old.low is None else old.low
            o_hi = old.value if old.high is None else old.high
            e_lo = e.value if e.low is None else e.low
            e_hi = e.value if e.high is None else e.high
            ends = [apply(o_lo, e_lo), apply(o_hi, e_hi)]
            low, high = min(ends), max(ends)
        dist = old.dist
    value = clip(value) + 0.0  # + 0.0: never a negative zero
    if low is not None and high is not None:
        low, high = min(clip(low), value) + 0.0, max(clip(high), value) + 0.0
    return Param(value=value, low=low, high=high, dist=dist,
                 evidence=old.evidence + e.evidence + evidence)


def _check_evidence(scenario: Scenario, evidence: tuple[Evidence, ...]) -> None:
    """Evidence an edit attaches must be valid and cite the scenario's sources."""
    sources = {src.id for src in scenario.sources}
    for ev in evidence:
        try:
            Evidence.model_validate(ev.model_dump())
        except ValidationError as exc:
            raise AccordError(f"lever evidence is invalid: {exc.errors()[0]['msg']} "
                              f"({ev!r})") from None
        if ev.source not in sources:
            known = ", ".join(sorted(sources)) or "none defined"
            raise AccordError(f"lever evidence cites unknown source '{ev.source}' "
                              f"(sources: {known})")


def _check_weights(scenario: Scenario) -> None:
    """The rule the schema checks on values: every issue keeps some capability × salience."""
    problems = [
        Problem(("issues", n),
                f"no actor has both capability and salience above 0 on issue '{issue.id}'")
        for n, issue in enumerate(scenario.issues)
        if not any(a.capability.value * a.saliences[issue.id].value > 0.0
                   for a in scenario.actors if issue.id in a.saliences)]
    if problems:
        raise ScenarioError(problems)


def apply_edit(scenario: Scenario, edit: Edit, evidence: tuple[Evidence, ...] = ()) -> Scenario:
    """``scenario`` with one edit applied (``evidence`` is attached to the edited value).

    Only the edited value is rebuilt (the rest is shared with ``scenario``), and only what an
    edit can break is checked: its targets exist, its evidence cites known sources, and every
    issue keeps some weight. Values are clipped to their scale, so they stay valid."""
    _check_evidence(scenario, (*edit.value.evidence, *evidence))
    if edit.field == "parameter":
        name = edit.parameter
        if name is None or name not in scenario.parameters:
            known = ", ".join(scenario.parameters) or "none declared"
            raise AccordError(f"lever edit: unknown parameter '{name}' (scenario parameters: "
                              f"{known})")
        new = _combine(scenario.parameters[name], edit, evidence)
        return scenario.model_copy(update={"parameters": {**scenario.parameters, name: new}})
    if edit.field == "status_quo":
        assert edit.issue is not None
        issue = scenario.issue(edit.issue)
        old = issue.status_quo if issue.status_quo is not None else Param(value=edit.value.value)
        new_issue = issue.model_copy(update={"status_quo": _combine(old, edit, evidence)})
        return scenario.model_copy(update={"issues": tuple(
            new_issue if i.id == issue.id else i for i in scenario.issues)})
    assert edit.actor is not None
    actor = scenario.actor(edit.actor)
    if edit.field == "capability":
        changed = actor.model_copy(update={"capability": _combine(actor.capability, edit,
                                                                  evidence)})
    else:
        assert edit.issue is not None
        scenario.issue(edit.issue)  # an unknown issue fails here
        key = "positions" if edit.field == "position" else "saliences"
        values: dict[str, Param] = getattr(actor, key)
        if edit.issue not in values:
            raise AccordError(f"lever edit: actor '{actor.id}' is absent from issue "
                              f"'{edit.issue}'")
        changed = actor.model_copy(update={key: {**values, edit.issue: _combine(
            values[edit.issue], edit, evidence)}})
    result = scenario.model_copy(update={"actors": tuple(
        changed if a.id == actor.id else a for a in scenario.actors)})
    if edit.field in ("capability", "salience"):
        _check_weights(result)
    return result


def apply_lever(scenario: Scenario, lever: Lever | str) -> Scenario:
    """``scenario`` with every edit of ``lever`` (a Lever or the id of one of its levers)."""
    chosen = scenario.lever(lever) if isinstance(lever, str) else lever
    result = scenario
    for edit in chosen.edits:
        result = apply_edit(result, edit, chosen.evidence)
    return result


def apply_levers(scenario: Scenario, levers: Iterable[Lever | str] | str) -> Scenario:
    """``scenario`` with several levers applied in order; ids are looked up in ``scenario``
    (a single id may be given as a string)."""
    if isinstance(levers, str):
        levers = (levers,)
    result = scenario
    for lever in levers:
        chosen = scenario.lever(lever) if isinstance(lever, str) else lever
        result = apply_lever(result, chosen)
    return result
