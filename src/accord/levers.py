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
    value = clip(value)
    if low is not None and high is not None:
        low, high = min(clip(low), value), max(clip(high), value)
    return Param(value=value, low=low, high=high, dist=dist,
                 evidence=old.evidence + e.evidence + evidence)


def apply_edit(scenario: Scenario, edit: Edit, evidence: tuple[Evidence, ...] = ()) -> Scenario:
    """``scenario`` with one edit applied (``evidence`` is attached to the edited value)."""
    data = scenario.model_dump()
    if edit.field == "parameter":
        assert edit.parameter is not None
        old = scenario.parameters[edit.parameter]
        data["parameters"][edit.parameter] = _combine(old, edit, evidence).model_dump()
    elif edit.field == "status_quo":
        assert edit.issue is not None
        k = scenario.issue_ids.index(edit.issue)
        issue = scenario.issues[k]
        old = issue.status_quo if issue.status_quo is not None else Param(value=edit.value.value)
        data["issues"][k]["status_quo"] = _combine(old, edit, evidence).model_dump()
    else:
        assert edit.actor is not None
        a = scenario.actor_ids.index(edit.actor)
        actor = scenario.actors[a]
        if edit.field == "capability":
            new = _combine(actor.capability, edit, evidence)
            data["actors"][a]["capability"] = new.model_dump()
        else:
            assert edit.issue is not None
            key = "positions" if edit.field == "position" else "saliences"
            old = getattr(actor, key)[edit.issue]
            data["actors"][a][key][edit.issue] = _combine(old, edit, evidence).model_dump()
    return Scenario.model_validate(data)


def apply_lever(scenario: Scenario, lever: Lever | str) -> Scenario:
    """``scenario`` with every edit of ``lever`` (a Lever or the id of one of its levers)."""
    chosen = scenario.lever(lever) if isinstance(lever, str) else lever
    result = scenario
    for edit in chosen.edits:
        result = apply_edit(result, edit, chosen.evidence)
    return result


def apply_levers(scenario: Scenario, levers: Iterable[Lever | str]) -> Scenario:
    """``scenario`` with several levers applied in order; ids are looked up in ``scenario``."""
    result = scenario
    for lever in levers:
        chosen = scenario.lever(lever) if isinstance(lever, str) else lever
        result = apply_lever(result, chosen)
    return result
