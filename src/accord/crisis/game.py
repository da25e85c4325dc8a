"""Extensive-form games in array form: :class:`CrisisGame` and :func:`build_game`.

A game is described node by node (:class:`~accord.crisis.spec.Decision`,
:class:`~accord.crisis.spec.Chance`, :class:`~accord.crisis.spec.Terminal`) under string ids, then
checked and compiled by :func:`build_game` into a :class:`CrisisGame`: a frozen object whose tree
lives in numpy arrays (node → parent, depth, kind, player, information set, incoming action,
chance probability), so that solvers evaluate every node at once.

Every problem found while building is reported together in one :class:`GameError`, each with the
field path of the offending node; the YAML reader attaches file and line numbers to those paths.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

from accord.crisis.spec import (
    Chance,
    Decision,
    GameError,
    NodeSpec,
    Terminal,
    canonical_actions,
    check_absent_minded,
    check_graph,
    check_infosets,
    check_nodes,
    infoset_id,
    is_id,
    preorder,
)
from accord.errors import Problem

__all__ = [
    "CHANCE",
    "DECISION",
    "TERMINAL",
    "Chance",
    "CrisisGame",
    "Decision",
    "GameError",
    "InfoSet",
    "NodeSpec",
    "Terminal",
    "build_game",
]

TERMINAL, CHANCE, DECISION = 0, 1, 2
#: log of a zero chance probability: nodes behind it keep a finite (negligible) weight, so that
#: beliefs at information sets reached only through impossible chance moves stay defined.
LOG_ZERO = -700.0

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]


@dataclass(frozen=True)
class InfoSet:
    """An information set: its player (index), action labels, member nodes and first column.

    Columns number every (information set, action) pair of the game; a behaviour strategy is one
    probability per column.
    """

    id: str
    player: int
    actions: tuple[str, ...]
    nodes: tuple[int, ...]
    first_col: int

    @property
    def cols(self) -> range:
        return range(self.first_col, self.first_col + len(self.actions))


_A = TypeVar("_A", bound=NDArray[np.generic])


def _frozen(a: _A) -> _A:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CrisisGame:
    """A validated extensive-form game in array form (build it with :func:`build_game`).

    Nodes are numbered in depth-first pre-order from the root (0), children in action order.
    Per node: ``parent`` (-1 at the root), ``depth``, ``kind`` (TERMINAL, CHANCE, DECISION),
    ``player`` and ``infoset`` (-1 unless a decision node), ``edge_col`` (the column of the
    action leading to it, -1 unless its parent decides), ``edge_prob`` (the chance probability
    leading to it, NaN unless its parent is a chance node) and ``edge_label``.
    ``payoffs[k, i]`` is player i's payoff at terminal ``terminals[k]``.

    The ``path_*`` arrays list, for every node, each column on the path from the root to it
    (pairs ``(path_node[k], path_col[k])``); ``log_chance`` is the log of the chance probability
    of reaching each node. The solvers work on these.
    """

    name: str
    title: str
    description: str
    players: tuple[str, ...]
    node_ids: tuple[str, ...]
    node_labels: tuple[str, ...]
    edge_label: tuple[str, ...]
    parent: IntArray
    depth: IntArray
    kind: IntArray
    player: IntArray
    infoset: IntArray
    edge_col: IntArray
    edge_prob: FloatArray
    child_ptr: IntArray
    child_list: IntArray
    terminals: IntArray
    payoffs: FloatArray
    infosets: tuple[InfoSet, ...]
    col_infoset: IntArray
    col_player: IntArray
    path_node: IntArray
    path_col: IntArray
    log_chance: FloatArray
    perfect_recall: bool
    _index: dict[str, int] = field(repr=False)
    _infoset_index: dict[str, int] = field(repr=False)

    # --- sizes and look-ups ----------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_cols(self) -> int:
        return len(self.col_infoset)

    @property
    def perfect_information(self) -> bool:
        """True when every information set holds one node."""
        return all(len(h.nodes) == 1 for h in self.infosets)

    def node(self, node_id: str) -> int:
        """Index of the node called ``node_id``."""
        try:
            return self._index[node_id]
        except KeyError:
            raise GameError([Problem(("nodes", node_id), "no such node")]) from None

    def infoset_of(self, infoset_id: str) -> InfoSet:
        """The information set called ``infoset_id``."""
        try:
            return self.infosets[self._infoset_index[infoset_id]]
        except KeyError:
            raise GameError([Problem(("infosets", infoset_id), "no such information set")]) \
                from None

    def children(self, node: int) -> IntArray:
        """Indices of the children of ``node``, in action order."""
        return self.child_list[self.child_ptr[node]:self.child_ptr[node + 1]]

    def path(self, node: int) -> list[int]:
        """Nodes from the root to ``node`` (inclusive)."""
        out = [node]
        while self.parent[out[-1]] >= 0:
            out.append(int(self.parent[out[-1]]))
        return out[::-1]

    def history(self, node: int) -> tuple[str, ...]:
        """Action labels from the root to ``node``."""
        return tuple(self.edge_label[n] for n in self.path(node)[1:])

    def to_specs(self) -> dict[str, NodeSpec]:
        """The node specifications this game was built from (ids in pre-order)."""
        specs: dict[str, NodeSpec] = {}
        term = {int(t): k for k, t in enumerate(self.terminals)}
        for n, nid in enumerate(self.node_ids):
            kids = self.children(n)
            label = self.node_labels[n]
            if self.kind[n] == TERMINAL:
                row = self.payoffs[term[n]]
                specs[nid] = Terminal(
                    {p: float(row[i]) for i, p in enumerate(self.players)}, label
                )
            elif self.kind[n] == CHANCE:
                specs[nid] = Chance(
                    {self.edge_label[c]: (float(self.edge_prob[c]), self.node_ids[c])
                     for c in kids},
                    label,
                )
            else:
                h = self.infosets[self.infoset[n]]
                specs[nid] = Decision(
                    self.players[h.player],
                    {self.edge_label[c]: self.node_ids[c] for c in kids},
                    None if h.id == nid and len(h.nodes) == 1 else h.id,
                    label,
                )
        return specs


def build_game(
    players: Sequence[str],
    nodes: Mapping[str, NodeSpec],
    root: str | None = None,
    *,
    name: str = "game",
    title: str = "",
    description: str = "",
) -> CrisisGame:
    """Check a game described node by node and compile it; raise :class:`GameError` if invalid.

    ``root`` defaults to the first node. Chance probabilities must sum to 1 (within 1e-6; they
    are then rescaled to sum exactly to 1).
    """
    players_t = tuple(players)
    problems: list[Problem] = []
    if not players_t:
        problems.append(Problem(("players",), "a game needs at least one player"))
    for i, p in enumerate(players_t):
        if not is_id(p) or p == "chance":
            problems.append(Problem(("players", i), f"'{p}' is not a valid player id"
                                    + (" ('chance' is reserved)" if p == "chance" else "")))
        elif p in players_t[:i]:
            problems.append(Problem(("players", i), f"duplicate player '{p}'"))
    if not nodes:
        raise GameError([*problems, Problem(("nodes",), "a game needs at least one node")])
    root_id = next(iter(nodes)) if root is None else root
    if root_id not in nodes:
        problems.append(Problem(("root",), f"the root '{root_id}' is not one of the nodes"))
        raise GameError(problems)
    node_problems = check_nodes(players_t, nodes)
    problems += node_problems
    tree_ok = False
    if not any("unknown node" in p.message for p in node_problems):
        graph = check_graph(root_id, nodes)
        problems += graph
        tree_ok = not graph
    infoset_problems = check_infosets(players_t, nodes)
    problems += infoset_problems
    if tree_ok and not infoset_problems:
        problems += check_absent_minded(preorder(root_id, nodes), nodes)
    if problems:
        raise GameError(problems)
    return _compile(players_t, nodes, root_id, name, title, description)


def _compile(
    players: tuple[str, ...],
    nodes: Mapping[str, NodeSpec],
    root: str,
    name: str,
    title: str,
    description: str,
) -> CrisisGame:
    order = preorder(root, nodes)
    index = {nid: k for k, nid in enumerate(order)}
    n = len(order)
    pidx = {p: i for i, p in enumerate(players)}
    parent = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int64)
    player = np.full(n, -1, dtype=np.int64)
    infoset = np.full(n, -1, dtype=np.int64)
    edge_col = np.full(n, -1, dtype=np.int64)
    edge_prob = np.full(n, np.nan)
    edge_label = [""] * n
    child_ptr = np.zeros(n + 1, dtype=np.int64)
    child_list: list[int] = []

    # information sets in order of first appearance; their action order is the first node's
    canon = canonical_actions(nodes)
    h_index: dict[str, int] = {}
    h_actions: list[tuple[str, ...]] = []
    h_player: list[int] = []
    h_nodes: list[list[int]] = []
    for k, nid in enumerate(order):
        spec = nodes[nid]
        if isinstance(spec, Decision):
            hid = infoset_id(nid, spec)
            if hid not in h_index:
                h_index[hid] = len(h_actions)
                h_actions.append(canon[hid])
                h_player.append(pidx[spec.player])
                h_nodes.append([])
            h_nodes[h_index[hid]].append(k)
    first_col = np.concatenate([[0], np.cumsum([len(a) for a in h_actions])]).astype(np.int64)
    infosets = tuple(
        InfoSet(hid, h_player[j], h_actions[j], tuple(h_nodes[j]), int(first_col[j]))
        for hid, j in h_index.items()
    )
    col_infoset = np.repeat(np.arange(len(infosets)), [len(h.actions) for h in infosets])
    col_player = np.array([infosets[j].player for j in col_infoset], dtype=np.int64)

    terminals: list[int] = []
    payoffs: list[list[float]] = []
    for k, nid in enumerate(order):
        spec = nodes[nid]
        if isinstance(spec, Decision):
            kind[k] = DECISION
            player[k] = pidx[spec.player]
            j = h_index[infoset_id(nid, spec)]
            infoset[k] = j
            kids = [(a, spec.actions[a]) for a in infosets[j].actions]
            for a, child in kids:
                c = index[child]
                edge_col[c] = infosets[j].first_col + infosets[j].actions.index(a)
        elif isinstance(spec, Chance):
            kind[k] = CHANCE
            total = sum(p for p, _ in spec.outcomes.values())
            kids = [(a, child) for a, (_, child) in spec.outcomes.items()]
            for p, child in spec.outcomes.values():
                edge_prob[index[child]] = p / total
        else:
            kind[k] = TERMINAL
            kids = []
            terminals.append(k)
            payoffs.append([float(spec.payoffs[p]) for p in players])
        for a, child in kids:
            c = index[child]
            parent[c] = k
            depth[c] = depth[k] + 1
            edge_label[c] = a
            child_list.append(c)
        child_ptr[k + 1] = len(child_list)

    # every column on the path to every node, and the chance probability of reaching it
    path_node: list[int] = []
    path_col: list[int] = []
    log_chance = np.zeros(n)
    cols_above: list[list[int]] = [[] for _ in range(n)]
    recall = True
    seen_history: dict[int, tuple[tuple[int, int], ...]] = {}
    for k in range(1, n):
        p = int(parent[k])
        cols_above[k] = cols_above[p] + ([int(edge_col[k])] if edge_col[k] >= 0 else [])
        step = math.log(edge_prob[k]) if edge_prob[k] > 0 else LOG_ZERO
        log_chance[k] = log_chance[p] + (step if kind[p] == CHANCE else 0.0)
        path_node.extend([k] * len(cols_above[k]))
        path_col.extend(cols_above[k])
    for k in range(n):
        if kind[k] != DECISION:
            continue
        hist = tuple((int(col_infoset[c]), c) for c in cols_above[k]
                     if col_player[c] == player[k])
        prev = seen_history.setdefault(int(infoset[k]), hist)
        if prev != hist:
            recall = False

    term = np.array(terminals, dtype=np.int64)
    pay = np.array(payoffs, dtype=np.float64).reshape(len(terminals), len(players))
    labels = tuple(nodes[nid].label for nid in order)
    return CrisisGame(
        name=name,
        title=title,
        description=description,
        players=players,
        node_ids=tuple(order),
        node_labels=labels,
        edge_label=tuple(edge_label),
        parent=_frozen(parent),
        depth=_frozen(depth),
        kind=_frozen(kind),
        player=_frozen(player),
        infoset=_frozen(infoset),
        edge_col=_frozen(edge_col),
        edge_prob=_frozen(edge_prob),
        child_ptr=_frozen(child_ptr),
        child_list=_frozen(np.array(child_list, dtype=np.int64)),
        terminals=_frozen(term),
        payoffs=_frozen(pay),
        infosets=infosets,
        col_infoset=_frozen(col_infoset.astype(np.int64)),
        col_player=_frozen(col_player),
        path_node=_frozen(np.array(path_node, dtype=np.int64)),
        path_col=_frozen(np.array(path_col, dtype=np.int64)),
        log_chance=_frozen(log_chance),
        perfect_recall=recall,
        _index=index,
        _infoset_index={h.id: j for j, h in enumerate(infosets)},
    )
