"""Game trees described node by node, and the checks that make them a valid tree.

:class:`Decision`, :class:`Chance` and :class:`Terminal` describe nodes under string ids;
:func:`check_nodes` and friends report every problem as a :class:`~accord.errors.Problem` with
the field path of the offending node (``nodes.<id>.actions.<action>``), which the YAML reader
turns into file and line. :func:`accord.crisis.game.build_game` runs them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from accord.errors import AccordError, PathPart, Problem

__all__ = [
    "PROB_TOLERANCE",
    "Chance",
    "Decision",
    "GameError",
    "NodeSpec",
    "Terminal",
    "canonical_actions",
    "check_absent_minded",
    "check_graph",
    "check_infosets",
    "check_nodes",
    "infoset_id",
    "is_id",
    "preorder",
]

PROB_TOLERANCE = 1e-6
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def is_id(text: str) -> bool:
    """True for a valid node, player or information-set id (letters, digits, ``_.-``)."""
    return bool(_ID.match(text))


class GameError(AccordError):
    """A game tree (YAML, ``.efg`` or Python) is invalid; lists every problem found."""

    def __init__(self, problems: Sequence[Problem], file: str | None = None) -> None:
        self.problems = tuple(problems)
        self.file = file
        lines = [p.render(file or "<game>") for p in self.problems]
        text = lines[0] if len(lines) == 1 else (
            f"{len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines)
        )
        super().__init__(text)

    def located(self, file: str, lines: Mapping[tuple[PathPart, ...], int]) -> GameError:
        """The same problems, attributed to ``file`` and (where known) its line numbers."""
        from accord.scenario.locate import locate

        return GameError([locate(p, dict(lines)) for p in self.problems], file)


@dataclass(frozen=True)
class Decision:
    """A node where ``player`` chooses one of ``actions`` (label → id of the next node).

    Nodes that share an ``infoset`` id are indistinguishable to the player: they must belong to
    the same player and offer the same actions. Without one, the node is alone in an information
    set named after the node.
    """

    player: str
    actions: Mapping[str, str]
    infoset: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Chance:
    """A move of nature: ``outcomes`` maps a label to ``(probability, id of the next node)``."""

    outcomes: Mapping[str, tuple[float, str]]
    label: str = ""


@dataclass(frozen=True)
class Terminal:
    """The end of a play: one payoff per player."""

    payoffs: Mapping[str, float]
    label: str = ""


NodeSpec: TypeAlias = Decision | Chance | Terminal


# --- validation --------------------------------------------------------------------------------
def _node_path(nid: str, *rest: PathPart) -> tuple[PathPart, ...]:
    return ("nodes", nid, *rest)


def _edges(nid: str, spec: NodeSpec) -> list[tuple[str, str, tuple[PathPart, ...]]]:
    """(action label, child id, path of the reference) for each outgoing edge."""
    if isinstance(spec, Decision):
        return [(a, c, _node_path(nid, "actions", a)) for a, c in spec.actions.items()]
    if isinstance(spec, Chance):
        return [(a, pc[1], _node_path(nid, "chance", a)) for a, pc in spec.outcomes.items()]
    return []


def check_nodes(
    players: tuple[str, ...], nodes: Mapping[str, NodeSpec]
) -> list[Problem]:
    problems: list[Problem] = []
    known = ", ".join(players)
    for nid, spec in nodes.items():
        if not is_id(nid):
            problems.append(Problem(_node_path(nid), f"node id '{nid}' is not a valid id "
                                    "(letters, digits, '_', '.', '-'; no spaces)"))
        if isinstance(spec, Decision):
            if spec.player not in players:
                problems.append(Problem(_node_path(nid, "player"),
                                        f"unknown player '{spec.player}' (players: {known})"))
            if not spec.actions:
                problems.append(Problem(_node_path(nid, "actions"),
                                        "a decision node needs at least one action"))
        elif isinstance(spec, Chance):
            if not spec.outcomes:
                problems.append(Problem(_node_path(nid, "chance"),
                                        "a chance node needs at least one outcome"))
                continue
            total = 0.0
            for a, (p, _) in spec.outcomes.items():
                if not math.isfinite(p) or p < 0:
                    problems.append(Problem(_node_path(nid, "chance", a, "prob"),
                                            f"probability {p} must be a number ≥ 0"))
                else:
                    total += p
            if math.isfinite(total) and abs(total - 1.0) > PROB_TOLERANCE:
                problems.append(Problem(
                    _node_path(nid, "chance"),
                    f"probabilities sum to {total:.6g}, not 1 (fractions such as '1/3' are "
                    "exact)"))
        else:
            for who in players:
                if who not in spec.payoffs:
                    problems.append(Problem(_node_path(nid, "payoffs"),
                                            f"missing payoff for player '{who}'"))
            for who, v in spec.payoffs.items():
                if who not in players:
                    problems.append(Problem(_node_path(nid, "payoffs", who),
                                            f"unknown player '{who}' (players: {known})"))
                elif not math.isfinite(v):
                    problems.append(Problem(_node_path(nid, "payoffs", who),
                                            f"payoff {v} is not a finite number"))
        for a, child, path in _edges(nid, spec):
            if not a:
                problems.append(Problem(path, "an action needs a non-empty label"))
            if child not in nodes:
                problems.append(Problem(path, f"leads to unknown node '{child}'"))
    return problems


def check_graph(root: str, nodes: Mapping[str, NodeSpec]) -> list[Problem]:
    """Cycles, nodes with two parents, and nodes the root does not reach."""
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in [root, *nodes]:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail = [start]
        state[start] = 1
        while stack:
            nid, k = stack[-1]
            edges = _edges(nid, nodes[nid])
            if k == len(edges):
                stack.pop()
                trail.pop()
                state[nid] = 2
                continue
            stack[-1] = (nid, k + 1)
            _, child, path = edges[k]
            if child not in nodes:
                continue
            if state.get(child) == 1:
                loop = " → ".join([*trail[trail.index(child):], child])
                problems.append(Problem(path, f"leads back to '{child}': the tree has a cycle "
                                              f"({loop})"))
            elif child not in state:
                state[child] = 1
                trail.append(child)
                stack.append((child, 0))
    if problems:
        return problems
    parents: dict[str, list[str]] = {}
    for nid, spec in nodes.items():
        for _, child, _ in _edges(nid, spec):
            if child in nodes:
                parents.setdefault(child, []).append(nid)
    for child, ps in parents.items():
        if child == root:
            problems.append(Problem(_node_path(child), f"the root '{root}' is reached from "
                                                       f"'{ps[0]}'; nothing may lead to the root"))
        elif len(ps) > 1:
            problems.append(Problem(
                _node_path(child),
                f"node '{child}' is reached from {len(ps)} places ({', '.join(sorted(ps))}); "
                "in a tree each node has one parent: give each branch its own copy"))
    return problems + _unreachable(root, nodes)


def _unreachable(root: str, nodes: Mapping[str, NodeSpec]) -> list[Problem]:
    reached = {root}
    todo = [root]
    while todo:
        nid = todo.pop()
        for _, child, _ in _edges(nid, nodes[nid]):
            if child in nodes and child not in reached:
                reached.add(child)
                todo.append(child)
    return [
        Problem(_node_path(nid), f"node '{nid}' cannot be reached from the root '{root}'")
        for nid in nodes if nid not in reached
    ]


def infoset_id(nid: str, spec: Decision) -> str:
    return spec.infoset if spec.infoset is not None else nid


def check_infosets(players: tuple[str, ...], nodes: Mapping[str, NodeSpec]) -> list[Problem]:
    """Information sets must not mix players or action sets."""
    problems: list[Problem] = []
    first: dict[str, str] = {}
    for nid, spec in nodes.items():
        if not isinstance(spec, Decision):
            continue
        hid = infoset_id(nid, spec)
        if not is_id(hid):
            problems.append(Problem(_node_path(nid, "infoset"),
                                    f"information set id '{hid}' is not a valid id"))
        if hid not in first:
            first[hid] = nid
            continue
        other = nodes[first[hid]]
        assert isinstance(other, Decision)
        if other.player != spec.player:
            problems.append(Problem(
                _node_path(nid, "infoset"),
                f"information set '{hid}' mixes players: node '{first[hid]}' belongs to "
                f"'{other.player}', node '{nid}' to '{spec.player}'"))
        elif set(other.actions) != set(spec.actions) or len(other.actions) != len(spec.actions):
            problems.append(Problem(
                _node_path(nid, "actions"),
                f"information set '{hid}' mixes action sets: node '{first[hid]}' offers "
                f"{_listing(other.actions)}, node '{nid}' offers {_listing(spec.actions)}"))
    return problems


def _listing(actions: Iterable[str]) -> str:
    return "[" + ", ".join(actions) + "]"


def canonical_actions(nodes: Mapping[str, NodeSpec]) -> dict[str, tuple[str, ...]]:
    """Each information set's action order: that of its first node in ``nodes``."""
    out: dict[str, tuple[str, ...]] = {}
    for nid, spec in nodes.items():
        if isinstance(spec, Decision):
            out.setdefault(infoset_id(nid, spec), tuple(spec.actions))
    return out


def _kids(nid: str, spec: NodeSpec, canon: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(label, child id) in the canonical action order."""
    if isinstance(spec, Decision):
        return [(a, spec.actions[a]) for a in canon[infoset_id(nid, spec)]]
    return [(a, c) for a, c, _ in _edges(nid, spec)]


def preorder(root: str, nodes: Mapping[str, NodeSpec]) -> list[str]:
    canon = canonical_actions(nodes)
    order: list[str] = []
    todo = [root]
    while todo:
        nid = todo.pop()
        order.append(nid)
        todo.extend(reversed([c for _, c in _kids(nid, nodes[nid], canon)]))
    return order


def check_absent_minded(order: list[str], nodes: Mapping[str, NodeSpec]) -> list[Problem]:
    """No information set may be met twice in one play (the player would forget moving)."""
    problems: list[Problem] = []
    seen_on_path: dict[str, dict[str, str]] = {}
    for nid in order:
        spec = nodes[nid]
        above = seen_on_path.get(nid, {})
        mine = dict(above)
        if isinstance(spec, Decision):
            hid = infoset_id(nid, spec)
            if hid in above:
                problems.append(Problem(
                    _node_path(nid, "infoset"),
                    f"information set '{hid}' occurs twice in one play (at '{above[hid]}' and "
                    f"at '{nid}'); each play may pass an information set at most once"))
            mine[hid] = nid
        for _, child, _ in _edges(nid, spec):
            seen_on_path[child] = mine
    return problems
