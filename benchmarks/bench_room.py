"""Benchmark: the crisis room under 50 concurrent players, on loopback only.

Run: ``python benchmarks/bench_room.py [--seconds 60] [--players 50] [--think 0.25]``.

Starts ``accord serve`` on 127.0.0.1 (a free port, a fresh SQLite database in a temporary
folder), opens a korea-2020 session with one team per actor, and lets ``--players`` simulated
players (spread over the teams, each with its own cookies) read the timeline, reload their team
page, submit moves and send messages for ``--seconds`` (at most 60), pausing a random
0..2×``--think`` seconds between requests: by default about four requests a second per player,
far beyond a human's pace; ``--think 0`` sends them back to back (a saturation test). A
facilitator closes and adjudicates the turn every ``--turn-every`` seconds, so some moves arrive
at a closed turn and are refused (HTTP 409): those are not acknowledged, not counted as lost. At
the end every acknowledged move (HTTP 303) is looked up in the database: a missing one is lost.

Prints requests per second, latency percentiles per kind of request, and lost moves. Targets
(issue 8): p95 under 200 ms, zero lost. Exit status 1 when a move was lost or a request failed.
The run is bounded: the players stop at the deadline, every request has a 10 s timeout, and the
server is stopped on the way out whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from accord.web.local import HOST, form_token, free_port, start_server, stop_server

MAX_SECONDS = 60.0


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0
    messages: int = 0
    turns: int = 0

    def record(self, kind: str, seconds: float, status: int) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def timed(stats: Stats, kind: str, call: Awaitable[httpx.Response]
                ) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        stats.failures.append(f"{kind}: {type(exc).__name__}: {exc}")
        return None
    stats.record(kind, time.perf_counter() - start, response.status_code)
    return response


class Player:
    def __init__(self, number: int, base: str, sid: str, team: str, link: str) -> None:
        self.number = number
        self.sid = sid
        self.team = team
        self.link = link
        self.client = httpx.AsyncClient(base_url=base, timeout=10.0)
        self.turn = 1
        self.tokens: dict[str, str] = {}
        self.levers: list[str] = []
        self.others: list[str] = []
        self.sent = 0

    async def join(self) -> None:
        r = await self.client.get(self.link, follow_redirects=True)
        r.raise_for_status()
        self.read_page(r.text)

    def read_page(self, html: str) -> None:
        m = re.search(r'name="turn" value="(\d+)"', html)
        if m:
            self.turn = int(m.group(1))
        if "/move" in html:
            self.tokens["move"] = form_token(html, "/move")
            self.levers = re.findall(r'name="levers" value="([^"]+)"', html)
        if "/message" in html:
            self.tokens["message"] = form_token(html, "/message")
            self.others = re.findall(r'<option value="([^"]+)"', html)

    async def reload(self, stats: Stats) -> None:
        r = await timed(stats, "team page", self.client.get(f"/s/{self.sid}"))
        if r is not None and r.status_code == 200:
            self.read_page(r.text)

    async def act(self, stats: Stats, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.45:
            await timed(stats, "timeline", self.client.get(f"/s/{self.sid}/timeline"))
        elif roll < 0.60 or "move" not in self.tokens:
            await self.reload(stats)
        elif roll < 0.92:
            self.sent += 1
            statement = f"p{self.number}-{self.sent}"
            levers = rng.sample(self.levers, k=min(len(self.levers), rng.randint(0, 2)))
            r = await timed(stats, "submit move", self.client.post(
                f"/s/{self.sid}/move", data={"csrf": self.tokens["move"], "turn": self.turn,
                                             "levers": levers, "statement": statement}))
            if r is not None and r.status_code == 303:
                stats.acknowledged.append((self.team, statement))
            elif r is not None and r.status_code == 409:  # the turn closed meanwhile
                stats.refused += 1
                await self.reload(stats)
        elif self.others:
            r = await timed(stats, "send message", self.client.post(
                f"/s/{self.sid}/message", data={"csrf": self.tokens["message"],
                                                "to": rng.choice(self.others),
                                                "body": f"from p{self.number}"}))
            if r is not None and r.status_code == 303:
                stats.messages += 1

    async def play(self, stats: Stats, deadline: float, think: float, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            await self.act(stats, rng)
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def facilitate(client: httpx.AsyncClient, sid: str, stats: Stats, deadline: float,
                     every: float) -> None:
    if every <= 0:
        return
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        page = (await client.get(f"/s/{sid}")).text
        turn = int(re.search(r'name="turn" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
        r = await timed(stats, "close turn", client.post(
            f"/s/{sid}/close", data={"csrf": form_token(page, "/close"), "turn": turn},
            follow_redirects=False))
        if r is None or r.status_code != 303:
            continue
        page = (await client.get(f"/s/{sid}")).text
        r = await timed(stats, "adjudicate", client.post(
            f"/s/{sid}/adjudicate", data={"csrf": form_token(page, "/adjudicate"),
                                          "turn": turn}, follow_redirects=False))
        if r is not None and r.status_code == 303:
            stats.turns += 1


async def open_session(base: str) -> tuple[httpx.AsyncClient, str, dict[str, str]]:
    fac = httpx.AsyncClient(base_url=base, timeout=30.0, follow_redirects=True)
    home = await fac.get("/")
    step = await fac.post("/new", data={"csrf": form_token(home.text, "/new"),
                                        "name": "Load test", "builtin": "korea-2020"})
    teams = re.findall(r'name="teams" value="([^"]+)"', step.text)
    done = await fac.post("/sessions", data={
        "csrf": form_token(step.text, "/sessions"), "name": "Load test",
        "builtin": "korea-2020", "yaml": "", "source": "", "teams": teams,
        "models": ["mean", "median", "nash"]})
    done.raise_for_status()
    links = dict(re.findall(r'<tr data-team="([^"]+)"><td>[^<]*</td><td><code class="link">'
                            r'([^<]+)', done.text))
    sid = re.search(r'href="/s/([^"]+)"', done.text).group(1)  # type: ignore[union-attr]
    return fac, sid, links


async def run(base: str, players: int, seconds: float, think: float,
              turn_every: float) -> tuple[Stats, str, float]:
    stats = Stats()
    fac, sid, links = await open_session(base)
    teams = list(links)
    crowd = [Player(k, base, sid, teams[k % len(teams)], links[teams[k % len(teams)]])
             for k in range(players)]
    try:
        await asyncio.gather(*(p.join() for p in crowd))
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(facilitate(fac, sid, stats, deadline, turn_every),
                             *(p.play(stats, deadline, think, seed=p.number) for p in crowd))
        wall = time.monotonic() - start
    finally:
        await asyncio.gather(fac.aclose(), *(p.client.aclose() for p in crowd))
    return stats, sid, wall


def lost_moves(db_path: Path, acknowledged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    con = sqlite3.connect(db_path)
    try:
        stored = set(con.execute("select team, statement from room_moves").fetchall())
    finally:
        con.close()
    return [m for m in acknowledged if m not in stored]


def report(stats: Stats, wall: float, lost: list[tuple[str, str]], players: int,
           think: float) -> dict[str, object]:
    every = [x for values in stats.latencies.values() for x in values]
    out: dict[str, object] = {
        "players": players, "seconds": round(wall, 2), "think_s": think,
        "requests": len(every), "requests_per_s": round(len(every) / wall, 1),
        "p50_ms": round(1000 * percentile(every, 50), 1),
        "p95_ms": round(1000 * percentile(every, 95), 1),
        "p99_ms": round(1000 * percentile(every, 99), 1),
        "max_ms": round(1000 * max(every, default=float("nan")), 1),
        "per_kind": {k: {"n": len(v), "p50_ms": round(1000 * percentile(v, 50), 1),
                         "p95_ms": round(1000 * percentile(v, 95), 1)}
                     for k, v in sorted(stats.latencies.items())},
        "statuses": dict(sorted(stats.statuses.items())),
        "failed_requests": len(stats.failures),
        "moves_acknowledged": len(stats.acknowledged),
        "moves_refused_turn_closed": stats.refused,
        "messages_sent": stats.messages, "turns_adjudicated": stats.turns,
        "lost_moves": len(lost),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=MAX_SECONDS,
                        help=f"how long the players play (at most {MAX_SECONDS:.0f})")
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--think", type=float, default=0.25,
                        help="mean pause between a player's requests, seconds (0: none)")
    parser.add_argument("--turn-every", type=float, default=15.0,
                        help="close and adjudicate the turn every this many seconds (0: never)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON only")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    with tempfile.TemporaryDirectory(prefix="accord-bench-room-") as tmp:
        db_path = Path(tmp) / "room.sqlite"
        log = Path(tmp) / "server.log"
        port = free_port()
        proc = start_server(f"sqlite:///{db_path}", port, log)
        try:
            stats, _, wall = asyncio.run(asyncio.wait_for(
                run(f"http://{HOST}:{port}", args.players, seconds, args.think,
                    args.turn_every), timeout=seconds + 60))
        finally:
            stop_server(proc)
        lost = lost_moves(db_path, stats.acknowledged)
    result = report(stats, wall, lost, args.players, args.think)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.players} players for {result['seconds']} s on {HOST} "
              f"(think {args.think} s, turn every {args.turn_every} s)")
        print(f"requests {result['requests']}, {result['requests_per_s']} req/s; latency "
              f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} "
              f"ms, max {result['max_ms']} ms")
        for kind, s in result["per_kind"].items():  # type: ignore[attr-defined]
            print(f"  {kind:<14}{s['n']:>8}  p50 {s['p50_ms']:>7} ms  p95 {s['p95_ms']:>7} ms")
        print(f"moves acknowledged {result['moves_acknowledged']}, refused at a closed turn "
              f"{result['moves_refused_turn_closed']}, messages {result['messages_sent']}, "
              f"turns adjudicated {result['turns_adjudicated']}, failed requests "
              f"{result['failed_requests']}")
        p95 = float(result["p95_ms"])  # type: ignore[arg-type]
        print(f"lost moves: {len(lost)}  |  p95 target < 200 ms: "
              f"{'met' if p95 < 200 else 'MISSED'}; zero lost: "
              f"{'met' if not lost else 'MISSED'}")
    for failure in stats.failures[:5]:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if lost or stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
