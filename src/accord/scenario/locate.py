"""Map field paths of a YAML document to line numbers, and attach lines to problems."""

from __future__ import annotations

import yaml

from accord.errors import PathPart, Problem

__all__ = ["LineMap", "line_map", "locate"]

LineMap = dict[tuple[PathPart, ...], int]


def line_map(root: yaml.Node) -> tuple[LineMap, list[Problem]]:
    """Line (1-based) of every node by path, and the duplicate mapping keys found on the way."""
    lines: LineMap = {}
    duplicates: list[Problem] = []

    def walk(node: yaml.Node, path: tuple[PathPart, ...]) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    duplicates.append(
                        Problem((*path, name), "duplicate key", key.start_mark.line + 1)
                    )
                seen.add(name)
                walk(value, (*path, name))
                lines[(*path, name)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    walk(root, ())
    return lines, duplicates


def _key(path: tuple[PathPart, ...]) -> tuple[PathPart, ...]:
    return tuple(p if isinstance(p, int) else str(p) for p in path)


def locate(problem: Problem, lines: LineMap) -> Problem:
    """The problem with its path trimmed to what the document holds, and the line attached.

    A bare number that accord reads as ``{value: ...}`` is reported at the number itself, not at
    an invisible ``.value``; a missing field is reported at the line of its parent.
    """
    path = _key(problem.path)
    if path not in lines and path and path[-1] == "value" and path[:-1] in lines:
        path = path[:-1]
    line = problem.line
    if line is None:
        probe = path
        while probe and probe not in lines:
            probe = probe[:-1]
        line = lines.get(probe)
    return Problem(path, problem.message, line)
