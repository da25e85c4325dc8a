"""Game trees in YAML: load with errors located by file, line and field path; dump back.

The format (documented with an example in ``docs/crisis.md``)::

    game: entry            # an id for the game
    title: Entry deterrence
    players: [entrant, incumbent]
    root: nature           # optional: the first node
    nodes:
      nature:
        chance:
          strong: {prob: 1/3, next: strong}
          weak: {prob: 2/3, next: weak}
      strong:
        player: entrant
        infoset: entrant   # optional: nodes sharing it are indistinguishable
        actions: {enter: strong_in, stay_out: strong_out}
      strong_out:
        payoffs: {entrant: 0, incumbent: 2}
      ...

Mapping keys are read as plain text (``no`` stays the string "no", not a boolean). Numbers may be
written as integers, decimals or fractions (``1/3``).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from accord.crisis.game import (
    Chance,
    CrisisGame,
    Decision,
    GameError,
    NodeSpec,
    Terminal,
    build_game,
)
from accord.errors import AccordError, PathPart, Problem
from accord.scenario.locate import LineMap, line_map

__all__ = [
    "dump_game",
    "game_from_dict",
    "game_to_dict",
    "load_game",
    "load_game_text",
    "number",
    "read_text",
]

_TOP = {"game", "title", "description", "players", "root", "nodes"}
_NODE = {"player", "infoset", "actions", "chance", "payoffs", "label"}
_FRACTION = re.compile(r"^\s*[+-]?\d+\s*/\s*\d+\s*$")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def number(value: Any) -> float | None:
    """A finite number from an int, float or numeric string (``"1/3"``, ``"2e-3"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        x = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            x = float(Fraction(text.replace(" ", ""))) if _FRACTION.match(text) else float(text)
        except (ValueError, ZeroDivisionError):
            return None
    else:
        return None
    return x if math.isfinite(x) else None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def game_from_dict(data: Any, file: str | None = None) -> CrisisGame:
    """Build a game from plain data (as parsed from YAML or JSON); raise :class:`GameError`."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise GameError([Problem((), f"a game must be a mapping with players and nodes, not "
                                     f"{_kind(data)}")], file)
    for key in data:
        if key not in _TOP:
            problems.append(Problem((str(key),), f"unknown key '{key}' (a game has: "
                                                 f"{', '.join(sorted(_TOP))})"))
    for key in ("players", "nodes"):
        if key not in data:
            problems.append(Problem((), f"required field '{key}' is missing"))
    players = data.get("players", [])
    if not isinstance(players, list) or not all(isinstance(p, str) for p in players):
        problems.append(Problem(("players",), "players must be a list of ids"))
        players = []
    raw_nodes = data.get("nodes", {})
    if not isinstance(raw_nodes, dict):
        problems.append(Problem(("nodes",), f"nodes must be a mapping of node id to node, not "
                                            f"{_kind(raw_nodes)}"))
        raw_nodes = {}
    nodes: dict[str, NodeSpec] = {}
    for nid, raw in raw_nodes.items():
        spec = _node(str(nid), raw, problems)
        if spec is not None:
            nodes[str(nid)] = spec
    strings = {k: data.get(k, "") for k in ("game", "title", "description", "root")}
    for k, v in strings.items():
        if v is not None and not isinstance(v, str):
            problems.append(Problem((k,), f"{k} must be text"))
    if problems:
        raise GameError(problems, file)
    root = data.get("root")
    try:
        return build_game(players, nodes, root if root else None,
                          name=str(data.get("game") or "game"),
                          title=str(data.get("title") or ""),
                          description=str(data.get("description") or ""))
    except GameError as exc:
        raise GameError(exc.problems, file) from None


def _node(nid: str, raw: Any, problems: list[Problem]) -> NodeSpec | None:
    here: tuple[PathPart, ...] = ("nodes", nid)
    if not isinstance(raw, dict):
        problems.append(Problem(here, "a node must be a mapping (actions with a player, chance, "
                                      f"or payoffs), not {_kind(raw)}"))
        return None
    bad = [k for k in raw if k not in _NODE]
    for k in bad:
        problems.append(Problem((*here, str(k)), f"unknown key '{k}' (a node has: "
                                                 f"{', '.join(sorted(_NODE))})"))
    kinds = [k for k in ("actions", "chance", "payoffs") if k in raw]
    if len(kinds) != 1:
        what = "none" if not kinds else " and ".join(kinds)
        problems.append(Problem(here, f"a node has exactly one of actions (with a player), "
                                      f"chance or payoffs; this one has {what}"))
        return None
    label = raw.get("label", "")
    if not isinstance(label, str):
        problems.append(Problem((*here, "label"), "label must be text"))
        label = ""
    kind = kinds[0]
    extra = {"actions": {"player", "infoset"}, "chance": set(), "payoffs": set()}[kind]
    for k in ("player", "infoset"):
        if k in raw and k not in extra:
            problems.append(Problem((*here, k), f"a {kind} node takes no {k}"))
    body = raw[kind]
    if not isinstance(body, dict) or not body:
        problems.append(Problem((*here, kind), f"{kind} must be a non-empty mapping"))
        return None
    if kind == "actions":
        player = raw.get("player")
        if player is None:
            problems.append(Problem(here, "a decision node needs a player"))
            return None
        if not isinstance(player, str):
            problems.append(Problem((*here, "player"), "player must be a player id"))
            return None
        infoset = raw.get("infoset")
        if infoset is not None and _text(infoset) is None:
            problems.append(Problem((*here, "infoset"), "infoset must be an id"))
            return None
        actions: dict[str, str] = {}
        for a, child in body.items():
            c = _text(child)
            if c is None:
                problems.append(Problem((*here, "actions", str(a)),
                                        f"an action leads to a node id, not {_kind(child)}"))
            else:
                actions[str(a)] = c
        return Decision(player, actions, None if infoset is None else _text(infoset), label)
    if kind == "chance":
        outcomes: dict[str, tuple[float, str]] = {}
        for a, item in body.items():
            path = (*here, "chance", str(a))
            if not isinstance(item, dict) or set(item) != {"prob", "next"}:
                problems.append(Problem(path, "a chance outcome is {prob: <number>, next: "
                                              "<node id>}"))
                continue
            p = number(item["prob"])
            c = _text(item["next"])
            if p is None:
                problems.append(Problem((*path, "prob"), f"expected a probability, got "
                                                         f"{item['prob']!r}"))
            if c is None:
                problems.append(Problem((*path, "next"), "next must be a node id"))
            if p is not None and c is not None:
                outcomes[str(a)] = (p, c)
        return Chance(outcomes, label)
    payoffs: dict[str, float] = {}
    for who, v in body.items():
        x = number(v)
        if x is None:
            problems.append(Problem((*here, "payoffs", str(who)), f"expected a number, got {v!r}"))
        else:
            payoffs[str(who)] = x
    return Terminal(payoffs, label)


# --- YAML text -------------------------------------------------------------------------------
def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Data of a YAML node, with every mapping key kept as its source text."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _plain(loader, v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(loader, v) for v in node.value]
    return loader.construct_object(node, deep=True)


def _parse(text: str, file: str) -> tuple[Any, LineMap]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = _plain(loader, root) if root is not None else None
    except yaml.YAMLError as exc:
        line = None
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise GameError([Problem((), f"not valid YAML: {problem}", line)], file) from None
    finally:
        loader.dispose()
    if root is None:
        raise GameError([Problem((), "the file is empty; a game needs players and nodes", 1)],
                        file)
    lines, duplicates = line_map(root)
    if duplicates:
        raise GameError(duplicates, file)
    return data, lines


def load_game_text(text: str, file: str = "<string>") -> CrisisGame:
    """Parse and check a game from YAML text; errors name ``file``, the line and field path."""
    data, lines = _parse(text, file)
    try:
        return game_from_dict(data)
    except GameError as exc:
        raise exc.located(file, lines) from None


def read_text(path: str | Path) -> tuple[str, str]:
    """The text of a game file and the name to report it by; unreadable files are accord errors."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), str(p)
    except FileNotFoundError:
        raise AccordError(f"{p}: no such game file") from None
    except IsADirectoryError:
        raise AccordError(f"{p}: is a directory, not a game file") from None
    except UnicodeDecodeError:
        raise AccordError(f"{p}: not UTF-8 text") from None
    except OSError as exc:
        raise AccordError(f"{p}: cannot read ({exc.strerror})") from None


def load_game(path: str | Path) -> CrisisGame:
    """Load a game file: YAML (``.yaml``/``.yml``) or Gambit (``.efg``)."""
    text, where = read_text(path)
    if Path(path).suffix.lower() == ".efg":
        from accord.crisis.efg import read_efg_text

        return read_efg_text(text, where, name=Path(path).stem)
    return load_game_text(text, where)


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)


def _prob(x: float) -> int | float | str:
    """A probability as written in YAML: ``1/3`` when that is exactly the stored number."""
    frac = Fraction(float(x)).limit_denominator(1000)
    if frac.denominator > 1 and float(frac) == x and len(str(frac)) < len(repr(float(x))):
        return str(frac)
    return _num(x)


def game_to_dict(game: CrisisGame) -> dict[str, Any]:
    """Plain data for ``game`` in the YAML format (:func:`game_from_dict` reads it back)."""
    nodes: dict[str, Any] = {}
    for nid, spec in game.to_specs().items():
        entry: dict[str, Any] = {}
        if isinstance(spec, Decision):
            entry["player"] = spec.player
            if spec.infoset is not None:
                entry["infoset"] = spec.infoset
            entry["actions"] = dict(spec.actions)
        elif isinstance(spec, Chance):
            entry["chance"] = {a: {"prob": _prob(p), "next": c}
                               for a, (p, c) in spec.outcomes.items()}
        else:
            entry["payoffs"] = {p: _num(v) for p, v in spec.payoffs.items()}
        if spec.label:
            entry["label"] = spec.label
        nodes[nid] = entry
    out: dict[str, Any] = {"game": game.name}
    if game.title:
        out["title"] = game.title
    if game.description:
        out["description"] = game.description
    out.update(players=list(game.players), root=game.node_ids[0], nodes=nodes)
    return out


def dump_game(game: CrisisGame) -> str:
    """YAML text for ``game``; :func:`load_game_text` reads it back to the same game."""
    return yaml.safe_dump(game_to_dict(game), sort_keys=False, allow_unicode=True, width=100)

