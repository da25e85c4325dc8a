"""The exchange model in exact arithmetic: 28-digit decimals, the specification's evaluation order.

This is the bit-faithful engine behind ``exchange(..., arithmetic="exact")``. It follows
``shared/specs/exchange.md`` step by step (the section numbers below are the spec's): every +, −,
×, ÷ is a :mod:`decimal` operation rounded to 28 significant digits (round-half-even), every
formula is evaluated as parenthesised there, sums run left to right from 0 in member order (here:
actor order), and the list of candidates is re-sorted with a stable sort before every realisation.
The reference results of the decide-exchange-model package depend on all of that to the last digit.

One shortcut, equivalent by construction: the spec gives each candidate its own update table U
(8.1, steps 2–3). An entry ``U[k][a]`` of a candidate whose side ``e`` demands ``k`` is the merge of
every realised exchange so far in which ``a`` supplied ``k`` to ``e``; every live candidate has seen
every realisation of the round, so the table is the same for all of them and is kept once per
round, keyed by (demander, issue).

The engine works on plain Python lists; it is called by :mod:`accord.models.exchange`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from operator import attrgetter

__all__ = ["CONTEXT", "ExactExchange", "ExactRound", "Realised", "run_exact"]

CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""The spec's arithmetic (10.1): 28 significant digits, round-half-even."""

# the binary64 values nearest 0.4 and 0.1, exactly (spec 10.1): Decimal(0.4) and Decimal(0.1)
LAMBDA = Decimal("0.40000000000000002220446049250313080847263336181640625")
PHI = Decimal("0.1000000000000000055511151231257827021181583404541015625")
EPSILON = Decimal("1E-10")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

_gain = attrgetter("G")


class _Side:
    """One side of a candidate: its actor, the issue it supplies (moves on), the one it demands."""

    __slots__ = ("C", "D", "S", "W", "actor", "demand", "hist", "m", "supply", "t", "x", "x0", "y")

    def __init__(self, actor: int, supply: int, demand: int, S: Decimal, D: Decimal,
                 C: Decimal, W: Decimal, t: Decimal, x0: Decimal) -> None:
        self.actor, self.supply, self.demand = actor, supply, demand
        self.S, self.D, self.C, self.W = S, D, C, W
        self.t, self.x0, self.x = t, x0, x0
        self.m = ZERO
        self.y = x0
        self.hist: list[Decimal] = []

    def ok(self) -> bool:
        """Section 6: V1–V4 for the current move and history."""
        m = self.m
        if not (EPSILON < abs(m) <= HUNDRED):
            return False
        y = self.x + m
        if not (ZERO <= y <= HUNDRED):
            return False
        hist = self.hist
        if sum(hist, ZERO) > HUNDRED:
            return False
        return all(h > ZERO for h in hist) or all(h < ZERO for h in hist)


class _Candidate:
    __slots__ = ("G", "index", "s1", "s2", "valid")

    def __init__(self, index: int, s1: _Side, s2: _Side) -> None:
        self.index, self.s1, self.s2 = index, s1, s2
        self.G = ZERO
        self.valid = False


@dataclass(frozen=True)
class Realised:
    """A realised exchange: side 1 supplies ``supply1`` (moving ``from1`` → ``to1``), side 2
    supplies ``supply2``; ``gain`` is the equal gain G. Indices are actor and issue positions."""

    actor1: int
    supply1: int
    from1: Decimal
    to1: Decimal
    actor2: int
    supply2: int
    from2: Decimal
    to2: Decimal
    gain: Decimal


@dataclass
class ExactRound:
    """One round: the reported compromise per issue, the realised exchanges in order, the number
    of candidates created and valid at creation, and how often the top two gains were equal."""

    compromise: list[Decimal]
    exchanges: list[Realised]
    created: int
    valid: int
    ties: int


@dataclass
class ExactExchange:
    """A run: the start compromise, the rounds, and per round the voting positions and the
    positions the next round starts from (``None`` where an actor is absent)."""

    start: list[Decimal]
    rounds: list[ExactRound] = field(default_factory=list)
    voting: list[list[list[Decimal | None]]] = field(default_factory=list)
    starts: list[list[list[Decimal | None]]] = field(default_factory=list)


class _Round:
    """The state of one round (section 4)."""

    def __init__(self, x0: list[list[Decimal | None]], sal: list[list[Decimal | None]],
                 cap: list[Decimal], members: list[list[int]], weight: list[Decimal],
                 eligible: list[list[bool]]) -> None:
        self.x0, self.sal, self.cap = x0, sal, cap
        self.members, self.weight, self.eligible = members, weight, eligible
        n_issues = len(members)
        self.slot = [{a: i for i, a in enumerate(m)} for m in members]
        self.terms: list[list[Decimal]] = []
        self.compromise: list[Decimal] = []
        for k in range(n_issues):
            terms = [(_d(x0[a][k]) * _d(sal[a][k])) * cap[a] for a in members[k]]
            self.terms.append(terms)
            self.compromise.append(sum(terms, ZERO) / weight[k] if weight[k] else ZERO)
        # the shared update tables: (demander, issue) -> {supplier: position}
        self.table: dict[tuple[int, int], dict[int, Decimal]] = {}
        self.supply_index: dict[tuple[int, int], list[_Candidate]] = {}
        self.demand_index: dict[tuple[int, int], list[_Candidate]] = {}

    # --- the adjusted compromise (7.4) ---------------------------------------------------

    def adjusted(self, k: int, table: dict[int, Decimal] | None, actor: int, z: Decimal) -> Decimal:
        """Ô(z): round-start positions on ``k``, overwritten by ``table``, then ``actor`` at z."""
        terms = self.terms[k]
        if table:
            terms = list(terms)
            slot = self.slot[k]
            for a, u in table.items():
                terms[slot[a]] = (u * _d(self.sal[a][k])) * self.cap[a]
        else:
            terms = list(terms)
        terms[self.slot[k][actor]] = (z * _d(self.sal[actor][k])) * self.cap[actor]
        w = self.weight[k]
        return sum(terms, ZERO) / w if w else ZERO

    def pinned_sum(self, k: int, table: dict[int, Decimal] | None, actor: int,
                   z: Decimal) -> Decimal:
        """Σ (P·s)·c with ``actor`` at z first, then ``table`` on top (U wins, 7.4 step 4)."""
        terms = list(self.terms[k])
        slot = self.slot[k]
        terms[slot[actor]] = (z * _d(self.sal[actor][k])) * self.cap[actor]
        if table:
            for a, u in table.items():
                terms[slot[a]] = (u * _d(self.sal[a][k])) * self.cap[a]
        return sum(terms, ZERO)

    # --- candidates (section 5) ---------------------------------------------------------

    def candidates(self) -> list[_Candidate]:
        x0, compromise = self.x0, self.compromise
        n_actors, n_issues = len(x0), len(compromise)
        left = [[x0[a][k] is not None and _d(x0[a][k]) <= compromise[k] for k in range(n_issues)]
                for a in range(n_actors)]
        out: list[_Candidate] = []
        for p in range(n_issues):
            for q in range(p + 1, n_issues):
                groups: list[list[int]] = [[], [], [], []]
                for a in range(n_actors):
                    if self.eligible[a][p] and self.eligible[a][q]:
                        groups[_group(left[a][p], left[a][q])].append(a)
                for first, second in ((groups[0], groups[3]), (groups[1], groups[2])):
                    for a in first:
                        for b in second:
                            out.append(self._make(len(out), a, b, p, q))
        return out

    def _make(self, index: int, a: int, b: int, p: int, q: int) -> _Candidate:
        sal, x0, cap, w = self.sal, self.x0, self.cap, self.weight
        ra = _d(sal[a][p]) / _d(sal[a][q])
        rb = _d(sal[b][p]) / _d(sal[b][q])
        one, two = (b, a) if ra < rb else (a, b)
        s1 = _Side(one, q, p, _d(sal[one][q]), _d(sal[one][p]), cap[one], w[q],
                   _d(x0[two][q]), _d(x0[one][q]))
        s2 = _Side(two, p, q, _d(sal[two][p]), _d(sal[two][q]), cap[two], w[p],
                   _d(x0[one][p]), _d(x0[two][p]))
        c = _Candidate(index, s1, s2)
        for side in (s1, s2):
            self.supply_index.setdefault((side.actor, side.supply), []).append(c)
            self.demand_index.setdefault((side.actor, side.demand), []).append(c)
        return c

    # --- evaluation (section 7) -------------------------------------------------------------

    def evaluate(self, c: _Candidate) -> None:
        one, two = c.s1, c.s2
        x1, x2, t1, t2 = one.x, two.x, one.t, two.t
        d1 = abs(t1 - x1)
        d2 = abs(t2 - x2)
        # attempt A: side 2 moves all the way
        delta2 = ((d2 * two.S) * two.C) / two.W
        delta1 = ((two.S + one.D) / (two.D + one.S)) * delta2
        m1 = (delta1 * one.W) / (one.C * one.S)
        m2 = d2
        if m1 > d1:  # attempt B: side 1 moves all the way
            delta1 = ((d1 * one.S) * one.C) / one.W
            delta2 = ((one.S + two.D) / (one.D + two.S)) * delta1
            m1 = d1
            m2 = (delta2 * two.W) / (two.C * two.S)
        if x1 > t1:
            m1 = -m1
        if x2 > t2:
            m2 = -m2
        one.hist.append(m1)
        two.hist.append(m2)
        one.m, two.m = m1, m2
        one.y, two.y = x1 + m1, x2 + m2
        c.G = abs((delta1 * one.S) - (delta2 * one.D))
        if not (one.ok() and two.ok() and c.G >= EPSILON):
            c.valid = False
            return
        self._cap(c, one, two)
        self._cap(c, two, one)
        c.valid = one.ok() and two.ok()

    def _cap(self, c: _Candidate, X: _Side, Y: _Side) -> None:
        k = X.supply
        table = self.table.get((Y.actor, k))
        n0 = self.adjusted(k, table, X.actor, X.x)
        n1 = self.adjusted(k, table, X.actor, X.y)
        T = X.t
        if (n0 <= T and n1 <= T) or (n0 >= T and n1 >= T):
            return
        total = self.pinned_sum(k, table, X.actor, X.x)
        delta = abs(((T * self.weight[k]) - total) / (X.S * X.C))
        dx = ((delta * X.S) * X.C) / X.W
        dy = ((X.S + Y.D) / (X.D + Y.S)) * dx
        my = abs((dy * Y.W) / (Y.C * Y.S))
        if Y.x > Y.t:
            my = -my
        mx = delta
        if X.x > X.t:
            mx = -mx
        X.hist[-1] = mx
        Y.hist[-1] = my
        X.m, Y.m = mx, my
        X.y = X.x + mx
        Y.y = Y.x + my
        c.G = abs((dy * Y.S) - (dx * Y.D))

    # --- selection (section 8) ----------------------------------------------------------------

    def _merge(self, key: tuple[int, int], actor: int, side: _Side) -> None:
        table = self.table.setdefault(key, {})
        u = table.get(actor)
        if u is None:
            table[actor] = side.y
        elif side.x0 <= u:
            table[actor] = min(u, side.y)
        else:
            table[actor] = max(u, side.y)

    def update(self, e: _Candidate, r1: _Side, r2: _Side) -> None:
        """8.1: bring candidate ``e`` up to date after realising (r1, r2)."""
        one, two = e.s1, e.s2
        recompute = False
        for side, other in ((one, two), (two, one)):
            if side.actor == r1.actor and side.supply == r1.supply:
                side.x = r1.y
            elif side.actor == r2.actor and side.supply == r2.supply:
                side.x = r2.y
            else:
                continue
            del other.hist[-1]
            recompute = True
            break
        for r in (r2, r1):  # demand bookkeeping; the shared tables are already updated
            demanded = (r.actor == two.actor and r.demand == two.demand) or (
                r.actor == one.actor and r.demand == one.demand)
            if demanded and not recompute:
                del one.hist[-1]
                del two.hist[-1]
                recompute = True
        if recompute:
            self.evaluate(e)

    def select(self, live: list[_Candidate]) -> tuple[list[_Candidate], int]:
        realised: list[_Candidate] = []
        ties = 0
        while live:
            live.sort(key=_gain, reverse=True)  # stable: equal gains keep their order
            if len(live) > 1 and live[0].G == live[1].G:
                ties += 1
            r = live.pop(0)
            r.valid = False  # realised: out of the list, no longer updated
            realised.append(r)
            r1, r2 = r.s1, r.s2
            # the shared update tables (8.1 steps 2–3): R2 demands R1's supply and vice versa
            self._merge((r2.actor, r1.supply), r1.actor, r1)
            self._merge((r1.actor, r2.supply), r2.actor, r2)
            affected: dict[int, _Candidate] = {}
            for index, key in ((self.supply_index, (r1.actor, r1.supply)),
                               (self.supply_index, (r2.actor, r2.supply)),
                               (self.demand_index, (r2.actor, r2.demand)),
                               (self.demand_index, (r1.actor, r1.demand))):
                for e in index.get(key, ()):
                    if e.valid and e is not r:
                        affected[e.index] = e
            if not affected:
                continue
            for e in affected.values():
                self.update(e, r1, r2)
            live = [e for e in live if e.valid]
        return realised, ties


def _group(left_p: bool, left_q: bool) -> int:
    """Section 5.2: G0 right/right, G1 left/right, G2 right/left, G3 left/left."""
    if left_p:
        return 3 if left_q else 1
    return 2 if left_q else 0


def _d(v: Decimal | None) -> Decimal:
    if v is None:  # pragma: no cover - members always have data
        raise ValueError("missing value")
    return v


def run_exact(
    position: Sequence[Sequence[Decimal | None]],
    salience: Sequence[Sequence[Decimal | None]],
    capability: Sequence[Decimal],
    rounds: int,
) -> ExactExchange:
    """Run ``rounds`` rounds in the spec's decimal arithmetic.

    ``position`` is ``[actor][issue]`` on the internal 0–100 scale, ``salience`` on decide's 0–1
    scale and ``capability`` per actor; ``None`` marks an actor absent from an issue. An actor
    with zero salience or capability on an issue counts in its compromise (with weight 0) but
    takes part in no exchange on it.
    """
    with localcontext(CONTEXT):
        return _run(position, salience, capability, rounds)


def _run(position: Sequence[Sequence[Decimal | None]],
         salience: Sequence[Sequence[Decimal | None]],
         capability: Sequence[Decimal], rounds: int) -> ExactExchange:
    n_actors = len(position)
    n_issues = len(position[0]) if n_actors else 0
    sal = [list(row) for row in salience]
    cap = list(capability)
    members = [[a for a in range(n_actors) if position[a][k] is not None]
               for k in range(n_issues)]
    weight = [sum((_d(sal[a][k]) * cap[a] for a in members[k]), ZERO)
              for k in range(n_issues)]
    eligible = [[position[a][k] is not None and _d(sal[a][k]) > ZERO and cap[a] > ZERO
                 for k in range(n_issues)] for a in range(n_actors)]
    x0 = [list(row) for row in position]
    first = _Round(x0, sal, cap, members, weight, eligible)
    run = ExactExchange(start=list(first.compromise), starts=[[list(r) for r in x0]],
                        voting=[[list(r) for r in x0]])
    for _ in range(rounds):
        rnd = _Round(x0, sal, cap, members, weight, eligible)
        created = rnd.candidates()
        for c in created:
            rnd.evaluate(c)
        live = [c for c in created if c.valid]
        n_valid = len(live)
        realised, ties = rnd.select(live)
        voting = [list(r) for r in x0]
        for r in realised:
            for side in (r.s1, r.s2):
                voting[side.actor][side.supply] = side.y
        compromise = []
        for k in range(n_issues):
            total = sum(((_d(voting[a][k]) * _d(sal[a][k])) * cap[a] for a in members[k]), ZERO)
            compromise.append(total / weight[k] if weight[k] else ZERO)
        nxt = [list(r) for r in x0]
        for r in realised:
            for side in (r.s1, r.s2):
                keep = (ONE - side.S) * LAMBDA
                nxt[side.actor][side.supply] = (
                    ((keep * side.y) + (PHI * side.y)) + (((ONE - keep) - PHI) * side.x0)
                )
        run.rounds.append(ExactRound(
            compromise=compromise,
            exchanges=[Realised(r.s1.actor, r.s1.supply, r.s1.x, r.s1.y, r.s2.actor,
                                r.s2.supply, r.s2.x, r.s2.y, r.G) for r in realised],
            created=len(created), valid=n_valid, ties=ties,
        ))
        run.voting.append(voting)
        x0 = nxt
        run.starts.append([list(r) for r in x0])
    return run
