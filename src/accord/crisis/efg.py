"""Gambit's extensive-form text format (``.efg``): write and read.

Written from the format's public description. A file is a prologue,
``EFG 2 R "title" { "player 1" "player 2" ... }`` with an optional quoted comment, then one record
per node in depth-first pre-order (children in action order):

* ``c "name" k "infoset name" { "action" prob ... } outcome`` — a chance node;
* ``p "name" player k "infoset name" { "action" ... } outcome`` — a player's decision node;
* ``t "name" outcome "outcome name" { payoff, ... }`` — a terminal node.

Information sets are numbered per player (chance has its own numbering); the infoset name and
action list may be left out after an information set's first appearance. ``outcome`` is a number
(0 = none), followed the first time it appears by its name and one payoff per player; outcomes
may also sit on non-terminal nodes, and a play's payoff is the sum along its path. Numbers are
integers, decimals or fractions (``1/3``). Quoted text escapes ``"`` and ``\\`` with a backslash.

accord writes every node's name (the node id), every information set's name and actions, and one
outcome per terminal, so files round-trip; node labels are not part of the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from accord.crisis.game import (
    CHANCE,
    DECISION,
    Chance,
    CrisisGame,
    Decision,
    GameError,
    NodeSpec,
    Terminal,
    build_game,
)
from accord.crisis.io import number
from accord.crisis.spec import is_id
from accord.errors import PathPart, Problem
from accord.scenario.schema import slug

__all__ = ["read_efg", "read_efg_text", "to_efg", "write_efg"]

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([{}])|(,)|([^\s{},"]+)', re.S)
_SPACE = re.compile(r"\s*")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fmt(x: float) -> str:
    """Integers as integers, simple fractions as ``p/q`` (exactly), else the shortest decimal."""
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    frac = Fraction(x).limit_denominator(1000)
    if frac.denominator > 1 and float(frac) == x and len(str(frac)) < len(repr(x)):
        return str(frac)
    return repr(x)


def to_efg(game: CrisisGame) -> str:
    """The game as ``.efg`` text (node names are node ids, infoset names are infoset ids)."""
    numbers: dict[int, int] = {}
    per_player = [0] * len(game.players)
    for j, h in enumerate(game.infosets):
        per_player[h.player] += 1
        numbers[j] = per_player[h.player]
    title = game.title or game.name
    lines = [f"EFG 2 R {_quote(title)} {{ {' '.join(_quote(p) for p in game.players)} }}",
             _quote(game.description), ""]
    term = {int(t): k for k, t in enumerate(game.terminals)}
    chance_no = 0
    stack = [0]
    while stack:
        n = stack.pop()
        kids = game.children(n)
        name = _quote(game.node_ids[n])
        if game.kind[n] == CHANCE:
            chance_no += 1
            moves = " ".join(f"{_quote(game.edge_label[c])} {_fmt(game.edge_prob[c])}"
                             for c in kids)
            lines.append(f'c {name} {chance_no} "" {{ {moves} }} 0')
        elif game.kind[n] == DECISION:
            j = int(game.infoset[n])
            h = game.infosets[j]
            acts = " ".join(_quote(a) for a in h.actions)
            lines.append(f"p {name} {h.player + 1} {numbers[j]} {_quote(h.id)} {{ {acts} }} 0")
        else:
            k = term[n]
            label = game.node_labels[n] or game.node_ids[n]
            pays = ", ".join(_fmt(v) for v in game.payoffs[k])
            lines.append(f"t {name} {k + 1} {_quote(label)} {{ {pays} }}")
        stack.extend(int(c) for c in kids[::-1])
    return "\n".join(lines) + "\n"


def write_efg(game: CrisisGame, path: str | Path) -> None:
    """Write ``game`` to ``path`` in ``.efg`` format."""
    Path(path).write_text(to_efg(game), encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Tok:
    kind: str  # "str", "{", "}", "word"
    text: str
    line: int


def _tokens(text: str, file: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos, line = 0, 1
    while True:
        space = _SPACE.match(text, pos)
        assert space is not None
        line += text.count("\n", pos, space.end())
        pos = space.end()
        if pos >= len(text):
            return out
        m = _TOKEN.match(text, pos)
        if m is None:  # only an opening quote without its closing one gets here
            raise GameError([Problem((), "unterminated quoted text", line)], file)
        if m.group(1) is not None:
            out.append(_Tok("str", re.sub(r"\\(.)", r"\1", m.group(1), flags=re.S), line))
        elif m.group(2) is not None:
            out.append(_Tok(m.group(2), m.group(2), line))
        elif m.group(4) is not None:
            out.append(_Tok("word", m.group(4), line))
        line += text.count("\n", pos, m.end())
        pos = m.end()


class _Reader:
    def __init__(self, toks: list[_Tok], file: str) -> None:
        self.toks = toks
        self.i = 0
        self.file = file

    def fail(self, message: str, tok: _Tok | None = None) -> GameError:
        tok = tok or (self.toks[self.i] if self.i < len(self.toks) else
                      (self.toks[-1] if self.toks else None))
        return GameError([Problem((), message, tok.line if tok else None)], self.file)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.fail(f"the file ends where {what} was expected")
        self.i += 1
        return tok

    def string(self, what: str) -> str:
        tok = self.next(what)
        if tok.kind != "str":
            raise self.fail(f"expected {what} in double quotes, found {tok.text!r}", tok)
        return tok.text

    def integer(self, what: str) -> int:
        tok = self.next(what)
        if tok.kind != "word" or not tok.text.isdigit():
            raise self.fail(f"expected {what} (a whole number), found {tok.text!r}", tok)
        return int(tok.text)

    def num(self, what: str) -> float:
        tok = self.next(what)
        x = number(tok.text) if tok.kind == "word" else None
        if x is None:
            raise self.fail(f"expected {what} (a number), found {tok.text!r}", tok)
        return x

    def expect(self, kind: str) -> None:
        tok = self.next(f"'{kind}'")
        if tok.kind != kind:
            raise self.fail(f"expected '{kind}', found {tok.text!r}", tok)

    def at(self, kind: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind

    def list_until_close(self) -> Iterator[_Tok]:
        self.expect("{")
        while not self.at("}"):
            yield self.next("'}'")
        self.i += 1


@dataclass
class _Record:
    kind: str  # "c", "p" or "t"
    name: str
    line: int
    parent: int
    action: str
    key: tuple[int, int] = (0, 0)  # (player number, 0 for chance; infoset number)
    payoffs: NDArray[np.float64] | None = None


@dataclass
class _Open:
    index: int
    actions: list[str]
    filled: int
    acc: NDArray[np.float64]


def read_efg_text(text: str, file: str = "<efg>", name: str = "game") -> CrisisGame:
    """Read a game from ``.efg`` text; problems are reported with file and line."""
    r = _Reader(_tokens(text, file), file)
    title, players, comment = _prologue(r)
    outcomes: dict[int, NDArray[np.float64]] = {}
    infosets: dict[tuple[int, int], tuple[str, list[str], list[float]]] = {}
    records: list[_Record] = []
    stack: list[_Open] = []
    while True:
        while stack and stack[-1].filled == len(stack[-1].actions):
            stack.pop()
        if records and not stack:
            if r.peek() is not None:
                raise r.fail("extra text after the last node of the tree")
            break
        tok = r.next("a node ('c', 'p' or 't')")
        if tok.kind != "word" or tok.text not in ("c", "p", "t"):
            raise r.fail(f"expected a node type 'c', 'p' or 't', found {tok.text!r}", tok)
        rec = _Record(tok.text, r.string("the node's name"), tok.line, -1, "")
        acc = np.zeros(len(players))
        if stack:
            top = stack[-1]
            rec.parent, rec.action, acc = top.index, top.actions[top.filled], top.acc
            top.filled += 1
        records.append(rec)
        if rec.kind == "t":
            rec.payoffs = acc + _outcome(r, outcomes, len(players))
            continue
        pl = 0
        if rec.kind == "p":
            pl = r.integer("the player number")
            if not 1 <= pl <= len(players):
                raise r.fail(f"player number {pl} is not between 1 and {len(players)}", tok)
        rec.key = (pl, r.integer("the information set number"))
        _infoset(r, tok, rec.key, infosets, players)
        stack.append(_Open(len(records) - 1, infosets[rec.key][1], 0,
                           acc + _outcome(r, outcomes, len(players))))
    return _assemble(records, infosets, players, title, comment, name, file)


def _prologue(r: _Reader) -> tuple[str, list[str], str]:
    for word in ("EFG", "2"):
        tok = r.next(f"'{word}'")
        if tok.text != word:
            raise r.fail(f"an .efg file starts with 'EFG 2 R'; found {tok.text!r}", tok)
    tok = r.next("'R'")
    if tok.text not in ("R", "D"):
        raise r.fail(f"expected 'R' after 'EFG 2', found {tok.text!r}", tok)
    title = r.string("the game's title")
    names = []
    for t in r.list_until_close():
        if t.kind != "str":
            raise r.fail(f"player names are quoted; found {t.text!r}", t)
        names.append(t.text)
    if not names:
        raise r.fail("the game lists no players")
    comment = r.string("comment") if r.at("str") else ""
    players: list[str] = []
    for p in names:
        base = slug(p) if p != "chance" else "chance-player"
        pid, k = base, 2
        while pid in players:
            pid, k = f"{base}-{k}", k + 1
        players.append(pid)
    return title, players, comment


def _infoset(
    r: _Reader,
    tok: _Tok,
    key: tuple[int, int],
    infosets: dict[tuple[int, int], tuple[str, list[str], list[float]]],
    players: list[str],
) -> None:
    pl, hnum = key
    hname = r.string("the information set's name") if r.at("str") else ""
    if not r.at("{"):
        if key not in infosets:
            raise r.fail(f"information set {hnum} of {_who(pl, players)} appears without its "
                         "actions", tok)
        return
    items = list(r.list_until_close())
    probs: list[float] = []
    if pl == 0:
        if len(items) % 2 or not items:
            raise r.fail("a chance node lists pairs of action and probability", tok)
        acts = [t.text for t in items[0::2]]
        for t in items[1::2]:
            x = number(t.text) if t.kind == "word" else None
            if x is None:
                raise r.fail(f"expected a probability, found {t.text!r}", t)
            probs.append(x)
    else:
        acts = [t.text for t in items]
        if not acts:
            raise r.fail("a decision node needs at least one action", tok)
    if key in infosets and infosets[key][1] != acts:
        raise r.fail(f"information set {hnum} of {_who(pl, players)} was given other actions "
                     "before", tok)
    infosets.setdefault(key, (hname, acts, probs))


def _who(pl: int, players: list[str]) -> str:
    return "chance" if pl == 0 else f"player {pl} ({players[pl - 1]})"


def _outcome(
    r: _Reader, outcomes: dict[int, NDArray[np.float64]], n_players: int
) -> NDArray[np.float64]:
    num = r.integer("the outcome number")
    if r.at("str"):
        r.i += 1
    if r.at("{"):
        start = r.peek()
        vals = list(r.list_until_close())
        if len(vals) != n_players:
            raise r.fail(f"outcome {num} gives {len(vals)} payoffs for {n_players} players",
                         start)
        pay = []
        for t in vals:
            x = number(t.text) if t.kind == "word" else None
            if x is None:
                raise r.fail(f"expected a payoff, found {t.text!r}", t)
            pay.append(x)
        if num:
            outcomes.setdefault(num, np.array(pay))
        return np.array(pay)
    if num == 0:
        return np.zeros(n_players)
    if num not in outcomes:
        raise r.fail(f"outcome {num} is used before its payoffs are given")
    return outcomes[num]


def _unique(wanted: str, fallback: str, used: set[str]) -> str:
    out = wanted if wanted and is_id(wanted) and wanted not in used else fallback
    base, k = out, 2
    while out in used:
        out, k = f"{base}-{k}", k + 1
    used.add(out)
    return out


def _assemble(
    records: list[_Record],
    infosets: dict[tuple[int, int], tuple[str, list[str], list[float]]],
    players: list[str],
    title: str,
    comment: str,
    name: str,
    file: str,
) -> CrisisGame:
    used: set[str] = set()
    ids = [_unique(rec.name, f"n{k}", used) for k, rec in enumerate(records)]
    hids: dict[tuple[int, int], str] = {}
    used_h: set[str] = set()
    for key, (hname, _, _) in infosets.items():
        if key[0] > 0:
            hids[key] = _unique(hname, f"{players[key[0] - 1]}.{key[1]}", used_h)
    kids: dict[int, list[tuple[str, str]]] = {}
    for k, rec in enumerate(records):
        if rec.parent >= 0:
            kids.setdefault(rec.parent, []).append((rec.action, ids[k]))
    nodes: dict[str, NodeSpec] = {}
    lines: dict[tuple[PathPart, ...], int] = {}
    for k, rec in enumerate(records):
        lines[("nodes", ids[k])] = rec.line
        if rec.kind == "t":
            assert rec.payoffs is not None
            nodes[ids[k]] = Terminal(dict(zip(players, map(float, rec.payoffs), strict=True)))
            continue
        children = kids.get(k, [])
        labels = [a for a, _ in children]
        if len(set(labels)) != len(labels):
            raise GameError([Problem((), "a node offers the same action label twice",
                                     rec.line)], file)
        if rec.kind == "c":
            probs = infosets[rec.key][2]
            nodes[ids[k]] = Chance({a: (p, c) for (a, c), p in zip(children, probs,
                                                                     strict=True)})
        else:
            nodes[ids[k]] = Decision(players[rec.key[0] - 1], dict(children), hids[rec.key])
    try:
        return build_game(players, nodes, ids[0], name=slug(name), title=title,
                          description=comment)
    except GameError as exc:
        raise exc.located(file, lines) from None


def read_efg(path: str | Path) -> CrisisGame:
    """Read a ``.efg`` file (the game is named after the file)."""
    from accord.crisis.io import read_text

    text, where = read_text(path)
    return read_efg_text(text, where, name=Path(path).stem)
