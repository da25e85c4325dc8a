"""decide-exchange-model data files: write a scenario as one (the inverse of the reader in
:mod:`accord.scenario.decide`, whose docstring describes the format).

Writing (:func:`format_decide`), accord → decide, TAB-separated, records ordered as in the shipped
files (all ``#A``; each ``#P`` followed by its ``#M`` rows; ``#D`` actor by actor, in issue order):

* The decide key of an actor or issue is its name when that name imports back to the same id
  (always the case for imported issues, and for imported actors whose display name is their decide
  id), else the accord id. Text containing TAB is written as several fields (the inverse of the
  merging on read); line breaks become spaces.
* Positions go back to the raw scale; saliences are divided by 100; capability is the power on
  every issue (it must lie in 0–100). Each number is written as the shortest decimal that reads
  back to exactly the same float, so decide → accord → decide reproduces the printed values
  (``format_decide(parse_decide(text))`` is byte-identical to both shipped files).
* Anchors become ``#M`` rows (the description is omitted when it equals the written value). An
  issue with anchors or a raw scale always gets ``#M`` rows at its bounds, adding them if missing.
* Only ``Param.value`` is written. Status quo, ranges, evidence, ``RawScale.unit``, sources and
  levers have no place in the format and are dropped. A capability above 100 raises
  :class:`~accord.errors.AccordError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal

from accord.errors import AccordError
from accord.scenario.decide import DECIMAL_CONTEXT, plain_id, to_internal
from accord.scenario.schema import Actor, Issue, Scenario
from accord.scenario.textio import split_lines

__all__ = ["format_decide", "plain_decimal", "raw_decimal"]

_CTX = DECIMAL_CONTEXT
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def _shortest(
    target: float,
    exact: Decimal,
    back: Callable[[Decimal], float],
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> Decimal:
    """The decimal with the fewest digits, near ``exact`` and within [low, high], that ``back``
    maps to exactly ``target``."""
    for digits in range(1, _CTX.prec):
        d = Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(exact)
        if (low is None or d >= low) and (high is None or d <= high) and back(d) == target:
            return d
    return exact


def _text(d: Decimal, point: bool) -> str:
    """``d`` in plain notation; whole numbers get ``.0`` when ``point`` (as in the shipped
    ``#D`` rows) and no fraction otherwise (as in the ``#M`` rows)."""
    if d.is_zero():
        return "0.0" if point else "0"
    d = d.normalize(_CTX)
    if d == d.to_integral_value():
        whole = str(int(d))
        return whole + ".0" if point else whole
    return format(d, "f")


def plain_decimal(x: float) -> Decimal:
    """The decimal with the fewest digits that reads back (as a float) to exactly ``x``: the
    number a file printed, e.g. 0.26 for the float 0.26."""
    return _shortest(x, Decimal(x), float)


def raw_decimal(value: float, scale: tuple[float, float] | None = None) -> Decimal:
    """The decimal a decide file holds for the 0–100 ``value`` of an issue with raw ``scale``
    (low, high): the shortest one within the bounds that reads back to exactly ``value``
    (``None``: a 0–100 issue, the value itself). Used for writing, and by the exchange model's
    exact arithmetic to recover the numbers a file had."""
    if scale is None:
        return plain_decimal(value)
    lower, upper = plain_decimal(scale[0]), plain_decimal(scale[1])
    span = _CTX.subtract(upper, lower)
    exact = _CTX.add(lower, _CTX.divide(_CTX.multiply(Decimal(value), span), _HUNDRED))
    return _shortest(value, exact, lambda d: to_internal(d, lower, upper), lower, upper)


def _quote(text: str) -> str:
    flat = " ".join(split_lines(text))
    return "'" + flat.replace("'", "''") + "'"


def _text_fields(text: str) -> list[str]:
    """A last text field, split at TABs (the inverse of merging surplus fields on read)."""
    return [_quote(part) for part in text.split("\t")]


def _key(id_: str, name: str) -> str:
    return name if name.strip() and plain_id(name) == id_ else id_


def _record(tag: str, fields: Sequence[str]) -> str:
    return "\t".join([_quote(tag), *fields])


def _issue_rows(issue: Issue, key: str) -> tuple[list[str], Callable[[float], str]]:
    """The #M rows of ``issue`` and the function writing a 0–100 value on its raw scale."""
    bounds = None if issue.scale is None else (issue.scale.low, issue.scale.high)

    def raw(value: float) -> Decimal:
        return raw_decimal(value, bounds)

    rows: list[str] = []
    if issue.anchors or issue.scale is not None:
        points: dict[float, str | None] = dict(issue.anchors)
        points.setdefault(0.0, None)
        points.setdefault(100.0, None)
        for point in sorted(points):
            value = _text(raw(point), point=False)
            label = points[point]
            extra = _text_fields(label) if label and label != value else []
            rows.append(_record("#M", [_quote(key), value, *extra]))
    return rows, lambda v: _text(raw(v), point=True)


def format_decide(scenario: Scenario) -> str:
    """The scenario as decide-exchange-model text (TAB-separated); see the module docstring.

    Raises :class:`AccordError` if a capability lies outside decide's power range 0–100.
    """
    for actor in scenario.actors:
        cap = actor.capability.value
        if cap > 100.0:
            raise AccordError(
                f"actor '{actor.id}' has capability {cap:g}; decide powers must lie in 0–100, "
                "so rescale the capabilities"
            )
    actor_keys = {a.id: _key(a.id, a.name) for a in scenario.actors}
    issue_keys = {i.id: _key(i.id, i.name) for i in scenario.issues}
    out: list[str] = []
    for actor in scenario.actors:
        out.append(_record("#A", [_quote(actor_keys[actor.id]), _quote(actor.name),
                                  *_text_fields(actor.description)]))
    writers: dict[str, Callable[[float], str]] = {}
    for issue in scenario.issues:
        key = issue_keys[issue.id]
        out.append(_record("#P", [_quote(key), *_text_fields(issue.description)]))
        rows, writers[issue.id] = _issue_rows(issue, key)
        out += rows
    for actor in scenario.actors:
        out += _data_rows(actor, scenario, actor_keys[actor.id], issue_keys, writers)
    return "\n".join(out) + "\n"


def _data_rows(
    actor: Actor,
    scenario: Scenario,
    key: str,
    issue_keys: dict[str, str],
    writers: dict[str, Callable[[float], str]],
) -> list[str]:
    power = _text(plain_decimal(actor.capability.value), point=True)
    rows = []
    for iid in scenario.issue_ids:
        if iid in actor.absent_from:
            continue
        s = actor.saliences[iid].value
        salience = _shortest(
            s, _CTX.divide(Decimal(s), _HUNDRED), lambda d: float(_CTX.multiply(d, _HUNDRED)),
            _ZERO, Decimal(1),
        )
        rows.append(_record("#D", [
            _quote(key),
            _quote(issue_keys[iid]),
            writers[iid](actor.positions[iid].value),
            _text(salience, point=True),
            power,
        ]))
    return rows
