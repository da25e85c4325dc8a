"""The after-action report of an exercise: the whole timeline and the forecast trajectories.

Two renderings of the same content: self-contained HTML (inline SVG charts, no script; every
piece of user text escaped by Jinja2's autoescape) and Markdown (user text escaped so it cannot
smuggle HTML or Markdown links into a rendered copy). The public report holds what every team
saw; with ``include_private`` it adds every team's moves and every private message — the
facilitator decides whom to give that one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord.web.db import RoomDB
from accord.web.views import latest_moves, timeline_view, trajectories

__all__ = ["Chart", "build_report", "md_escape", "render_markdown"]

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30343f",
           "#e07a5f", "#3d405b", "#81b29a")


@dataclass(frozen=True)
class Chart:
    """One model's forecast trajectories as SVG polylines (coordinates computed here)."""

    model: str
    width: int
    height: int
    lines: list[tuple[str, str, str]]  # (issue name, colour, "x,y x,y ...")
    xticks: list[tuple[float, str]]
    yticks: list[tuple[float, str]]
    left: int
    right: int
    top: int
    bottom: int


def _chart(model: str, series: list[tuple[int, dict[str, float]]],
           issues: list[tuple[str, str]]) -> Chart:
    width, height, left, right, top, bottom = 640, 240, 40, 470, 10, 210
    turns = [t for t, _ in series]
    last = max(max(turns), 1)

    def x(turn: int) -> float:
        return left + (right - left) * turn / last

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / 100.0

    lines = []
    for k, (issue_id, name) in enumerate(issues):
        points = " ".join(f"{x(t):.1f},{y(o.get(issue_id, 0.0)):.1f}" for t, o in series)
        lines.append((name, PALETTE[k % len(PALETTE)], points))
    xticks = [(x(t), str(t)) for t in sorted(set(turns))]
    yticks = [(y(v), str(v)) for v in (0, 25, 50, 75, 100)]
    return Chart(model, width, height, lines, xticks, yticks, left, right, top, bottom)


def build_report(db: RoomDB, sid: str, include_private: bool = False) -> dict[str, Any]:
    """Everything the report shows, for the HTML template and :func:`render_markdown`."""
    session = db.session(sid)
    assert session is not None
    scenario = db.scenario(sid)
    teams = db.teams(sid)
    names = {t.id: t.name for t in teams}
    levers = {lever.id: lever.name for lever in scenario.levers}
    forecasts = db.forecasts(sid)
    traj = trajectories(forecasts)
    issues = [(i.id, i.name) for i in scenario.issues]
    ctx: dict[str, Any] = {
        "session": session, "scenario": scenario, "teams": teams, "names": names,
        "turns": db.turns(sid), "timeline": timeline_view(db, sid, scenario, teams),
        "trajectories": traj, "issues": issues,
        "charts": [_chart(m, series, issues) for m, series in traj.items()],
        "in_force": {f.turn: [levers.get(x, x) for x in f.levers] for f in forecasts},
        "include_private": include_private,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if include_private:
        by_turn = latest_moves(db.latest_moves(sid), names, levers)
        ctx["moves"] = [(t, by_turn[t]) for t in sorted(by_turn)]
        ctx["messages"] = db.messages(sid)[0]
    return ctx


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """User text made inert in Markdown: HTML escaped, Markdown syntax backslashed, one line."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def render_markdown(ctx: dict[str, Any]) -> str:
    """The report as Markdown."""
    s = ctx["session"]
    scenario = ctx["scenario"]
    out = [
        f"# After-action report: {md_escape(s.name)}", "",
        f"* Scenario: {md_escape(scenario.name)} (`{scenario.id}`), from {md_escape(s.source)}",
        f"* Teams: {', '.join(md_escape(t.name) for t in ctx['teams'])}",
        f"* Models: {', '.join(s.models)}",
        f"* Opened {s.created}" + (f", ended {s.ended}" if s.ended else " (still running)"),
        f"* Report generated {ctx['generated']}", "", "## Timeline", "",
    ]
    for block in ctx["timeline"]:
        out += [f"### Turn {block.number}" if block.number else "### Start", ""]
        for item in block.items:
            if item.kind == "note":
                out.append(f"* {md_escape(item.text)}")
            elif item.kind == "statements":
                out.append("* Public statements:")
                out += [f"  * **{md_escape(team)}**: {md_escape(body)}"
                        for team, body in item.statements]
            elif item.kind == "levers":
                applied = ", ".join(md_escape(x) for x in item.applied) or "none"
                out.append(f"* Levers newly in force: {applied}")
            elif item.kind == "forecasts":
                for table in item.tables:
                    out += ["", f"Forecast, {table.model}:", "",
                            "| issue | forecast | change |", "| --- | ---: | ---: |"]
                    out += [f"| {md_escape(name)} | {_fmt(v)} | {_fmt(d, signed=True)} |"
                            for name, v, d, _ in table.rows]
                    out.append("")
        out.append("")
    out += ["## Forecast trajectories", ""]
    issues = ctx["issues"]
    for model, series in ctx["trajectories"].items():
        out += [f"### {model}", "",
                "| turn | " + " | ".join(md_escape(name) for _, name in issues) + " |",
                "| ---: | " + " | ".join("---:" for _ in issues) + " |"]
        out += [f"| {turn} | " + " | ".join(_fmt(o.get(i)) for i, _ in issues) + " |"
                for turn, o in series]
        out.append("")
    out += ["## Levers in force after each turn", ""]
    for turn, names in sorted(ctx["in_force"].items()):
        out.append(f"* Turn {turn}: " + (", ".join(md_escape(x) for x in names) or "none"))
    out.append("")
    if ctx["include_private"]:
        out += ["## Moves (private during the exercise)", ""]
        for turn, moves in ctx["moves"]:
            out += [f"### Turn {turn}", ""]
            for m in moves.values():
                levers = ", ".join(md_escape(x) for x in m.levers) or "no levers"
                out.append(f"* **{md_escape(m.team_name)}**: {levers}; statement: "
                           f"{md_escape(m.statement) or '—'} ({m.revisions} revisions)")
            out.append("")
        out += ["## Private messages", ""]
        names = ctx["names"]
        out += [f"* Turn {m.turn}, {md_escape(names.get(m.sender, m.sender))} → "
                f"{md_escape(names.get(m.recipient, m.recipient))}: {md_escape(m.body)}"
                for m in ctx["messages"]] or ["* none"]
        out.append("")
    return "\n".join(out)
