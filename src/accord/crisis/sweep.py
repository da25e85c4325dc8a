"""The Korea crisis game over the scenario's uncertainty: how robust is China's choice?

The crisis report (:func:`~accord.crisis.crisis_report`) solves the game at the scenario's point
values. The positions, saliences and status quo the Korea game is built from come with ranges
(capabilities and scenario parameters are sampled too but do not enter this game), so the same
question can be asked of every plausible calibration: ``crisis_sweep`` draws
the scenario's uncertain values (the same distributions and inverse-CDF sampling as ``accord
sweep``, after the chosen levers; one draw = one scenario), solves the game for each draw, and
again with each compared lever added on its own at the same draw. It reports distributions: the
probability that the US strikes, that China intervenes if it does, how often China's likeliest
response is each action, and per lever how often it changes that response and by how much it
moves the probability of intervening. Same seed, same numbers, with every executor.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.analysis.executors import Executor, SerialExecutor
from accord.crisis.korea import CHINA_MOVES
from accord.crisis.report import CRISIS_LEVERS, crisis_report
from accord.errors import AccordError
from accord.levers import apply_levers
from accord.scenario.schema import Scenario
from accord.scenario.uncertainty import UncertainValue, ppf, scenario_at, uncertain_values

__all__ = ["BLOCK", "MAX_DRAWS", "CrisisSweep", "crisis_sweep"]

FloatArray = NDArray[np.float64]

MAX_DRAWS = 100_000
BLOCK = 10  # draws per task handed to an executor
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _spread(x: FloatArray, digits: int) -> dict[str, float]:
    q = np.quantile(x, _QUANTILES)
    out = {"mean": round(float(x.mean()), digits) + 0.0}  # + 0.0: no "-0.0" in the JSON
    out.update({f"q{round(100 * p):02d}": round(float(v), digits) + 0.0
                for p, v in zip(_QUANTILES, q, strict=True)})
    return out


def _shares(choices: tuple[str, ...]) -> dict[str, float]:
    return {a: choices.count(a) / len(choices) for a in CHINA_MOVES}


@dataclass(frozen=True, eq=False)
class CrisisSweep:
    """Per draw: ``p_strike``, ``p_intervene`` (China, if the US strikes) and China's likeliest
    response ``choice``; per compared lever, China's likeliest response with it added
    (``choice_with``) and the change it makes to the probability of intervening (``delta``)."""

    scenario_id: str
    levers: tuple[str, ...]
    seed: int
    p_strike: FloatArray
    p_intervene: FloatArray
    choice: tuple[str, ...]
    compared: tuple[str, ...]
    choice_with: Mapping[str, tuple[str, ...]]
    delta: Mapping[str, FloatArray]

    @property
    def draws(self) -> int:
        return int(self.p_strike.size)

    def choice_shares(self, lever: str | None = None) -> dict[str, float]:
        """How often China's likeliest response to a strike is each action (with ``lever``
        added, if given)."""
        return _shares(self.choice if lever is None else self.choice_with[lever])

    def share_changed(self, lever: str) -> float:
        """The share of draws in which adding ``lever`` changes China's likeliest response."""
        return float(np.mean([a != b for a, b in zip(self.choice, self.choice_with[lever],
                                                       strict=True)]))

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """JSON-ready summary: means and 5–95 % quantiles, shares, lever robustness."""
        return {
            "scenario": self.scenario_id,
            "levers": list(self.levers),
            "draws": self.draws,
            "seed": self.seed,
            "p_strike": _spread(self.p_strike, digits),
            "p_intervene_if_strike": _spread(self.p_intervene, digits),
            "china_choice_shares": {a: round(v, digits)
                                    for a, v in self.choice_shares().items()},
            "lever_effects": [
                {"lever": lv, "share_changing_choice": round(self.share_changed(lv), digits),
                 "china_choice_shares": {a: round(v, digits)
                                         for a, v in self.choice_shares(lv).items()},
                 "delta_intervene": _spread(self.delta[lv], digits)}
                for lv in self.compared
            ],
        }

    def summary(self) -> str:
        """A few lines of plain text for the command line."""
        ps, pi = self.p_strike, self.p_intervene
        lines = [
            f"Korea crisis game for {self.scenario_id}"
            + (f" with {', '.join(self.levers)}" if self.levers else "")
            + f", over {self.draws} draws of its uncertainty (seed {self.seed})",
            f"P(US strikes): mean {ps.mean():.2f}, 5–95 % {np.quantile(ps, 0.05):.2f}–"
            f"{np.quantile(ps, 0.95):.2f}",
            f"P(China intervenes | strike): mean {pi.mean():.2f}, 5–95 % "
            f"{np.quantile(pi, 0.05):.2f}–{np.quantile(pi, 0.95):.2f}",
            "China's likeliest response: " + ", ".join(
                f"{a} in {100 * v:.0f} %" for a, v in self.choice_shares().items() if v > 0),
        ]
        for lv in self.compared:
            d = self.delta[lv]
            lines.append(f"  + {lv}: changes China's likeliest response in "
                         f"{100 * self.share_changed(lv):.0f} % of draws; P(intervene) "
                         f"{d.mean():+.2f} on average (5–95 % {np.quantile(d, 0.05):+.2f} to "
                         f"{np.quantile(d, 0.95):+.2f})")
        return "\n".join(lines)


_Variant = tuple[Scenario, tuple[UncertainValue, ...], FloatArray]  # scenario, values, draws
_Task = tuple[tuple[_Variant, ...], dict[str, Any]]
_Solved = tuple[float, float, str]  # P(strike), P(intervene | strike), China's likeliest answer


def _key(v: UncertainValue) -> tuple[str, int | None, int | None, str | None]:
    return (v.kind, v.actor, v.issue, v.parameter)


def _uniforms(seed: int, draws: int, values: tuple[UncertainValue, ...],
              baseline: tuple[UncertainValue, ...]) -> FloatArray:
    """The uniforms for ``values``: the baseline's from one stream; a value only a variant has
    (a lever that adds a range) from a stream of its own, keyed by what it is, so no variant's
    draws depend on which other levers are compared."""
    base = np.random.default_rng(seed).random((draws, len(baseline)))
    at = {_key(v): j for j, v in enumerate(baseline)}
    out = np.empty((draws, len(values)))
    for j, v in enumerate(values):
        if _key(v) in at:
            out[:, j] = base[:, at[_key(v)]]
        else:
            tag = zlib.crc32(repr(_key(v)).encode())
            out[:, j] = np.random.default_rng([seed, tag]).random(draws)
    return out


def _solve_block(task: _Task) -> list[list[_Solved]]:
    """Per draw of a block, the game solved for each variant (the baseline, then each lever)."""
    variants, options = task
    out: list[list[_Solved]] = []
    for d in range(variants[0][2].shape[0]):
        row = []
        for scenario, values, sampled in variants:
            r = crisis_report(scenario_at(scenario, values, sampled[d]), compare=(), **options)
            row.append((r.p_strike, r.china.p_intervene, r.china.choice))
        out.append(row)
    return out


def crisis_sweep(
    scenario: Scenario | str | Path,
    levers: Iterable[str] | str = (),
    *,
    draws: int = 200,
    seed: int | None = None,
    compare: Iterable[str] | str | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    **solver_options: Any,
) -> CrisisSweep:
    """Solve the Korea crisis game for ``draws`` samples of ``scenario``'s uncertain values.

    ``levers`` are applied first and the values are then sampled from the edited scenario, as
    ``accord sweep`` does (ranges follow the edits). ``compare`` names the levers whose effect
    on China's choice is measured (default as in :func:`~accord.crisis.crisis_report`): each is
    added on its own and sampled with the same uniforms, value by value, as the baseline, so a
    draw compares like with like. ``seed`` (None: one is picked and reported) fixes the draws,
    which are made here before any work is handed out, so every ``executor`` (serial by
    default, or processes / dask from :func:`accord.analysis.make_executor`) gives the same
    numbers; ``progress(done, total)`` is called as draws finish.
    """
    if not isinstance(scenario, Scenario):
        from accord.scenario.resolve import load_scenario

        scenario = load_scenario(scenario)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not (
            1 <= draws <= MAX_DRAWS):
        raise AccordError(f"crisis: draws must be a whole number from 1 to {MAX_DRAWS:,}, "
                          f"not {draws!r}")
    applied = (levers,) if isinstance(levers, str) else tuple(levers)
    known = {lv.id for lv in scenario.levers}
    if compare is None:
        others = tuple(lv for lv in CRISIS_LEVERS if lv in known and lv not in applied)
    else:
        others = (compare,) if isinstance(compare, str) else tuple(dict.fromkeys(compare))
    # unknown levers fail here, before any work
    edited = [apply_levers(scenario, applied)] + [apply_levers(scenario, (*applied, lv))
                                                  for lv in others]
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise AccordError(f"crisis: seed must be a whole number >= 0, not {seed!r}")
    seed = int(seed)
    values = [uncertain_values(v) for v in edited]
    sampled = [ppf(vals, _uniforms(seed, draws, vals, values[0])) for vals in values]
    tasks: list[_Task] = [
        (tuple((v, vals, x[lo : lo + BLOCK]) for v, vals, x in zip(edited, values, sampled,
                                                                   strict=True)),
         dict(solver_options))
        for lo in range(0, draws, BLOCK)]

    def advance(done: int, total: int) -> None:
        if progress is not None:
            progress(min(done * BLOCK, draws), draws)

    rows = [r for block in (executor or SerialExecutor()).map(_solve_block, tasks, advance)
            for r in block]
    base = np.array([r[0][1] for r in rows])
    return CrisisSweep(
        scenario_id=scenario.id, levers=applied, seed=seed,
        p_strike=np.array([r[0][0] for r in rows]), p_intervene=base,
        choice=tuple(r[0][2] for r in rows), compared=others,
        choice_with={lv: tuple(r[i][2] for r in rows) for i, lv in enumerate(others, start=1)},
        delta={lv: np.array([r[i][1] for r in rows]) - base
               for i, lv in enumerate(others, start=1)})
