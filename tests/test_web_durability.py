"""Durability: SIGKILL the crisis-room server in the middle of a turn; on restart no move is lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("multipart")

import httpx

from accord.web.local import stop_server

from .web_helpers import csrf, free_port, open_session, start_server

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL (POSIX)")


def submit(client: httpx.Client, sid: str, levers: list[str], statement: str) -> bool:
    """One move through the team's page; True when the server acknowledged it."""
    page = client.get(f"/s/{sid}")
    r = client.post(f"/s/{sid}/move", data={"csrf": csrf(page.text, "/move"), "turn": 1,
                                            "levers": levers, "statement": statement})
    return r.status_code == 200 and "Your move is recorded." in r.text


def test_sigkill_mid_turn_loses_no_submitted_move(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'room.sqlite'}"
    log = tmp_path / "server.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(url, port, log)
    clients: list[httpx.Client] = []
    try:
        fac = httpx.Client(base_url=base, follow_redirects=True, timeout=10)
        clients.append(fac)
        sid, _, links = open_session(fac, ["usa", "dprk", "china"])
        teams = {}
        for team, link in links.items():
            teams[team] = httpx.Client(base_url=base, follow_redirects=True, timeout=10)
            clients.append(teams[team])
            assert teams[team].get(link).status_code == 200
        acknowledged: list[tuple[str, str]] = []
        assert submit(teams["usa"], sid, ["four-nos"], "usa-1")
        acknowledged.append(("usa", "usa-1"))
        assert submit(teams["dprk"], sid, ["dual-freeze"], "dprk-1")
        assert submit(teams["dprk"], sid, ["dual-freeze", "yongbyon-deal"], "dprk-2")
        acknowledged += [("dprk", "dprk-1"), ("dprk", "dprk-2")]
        page = teams["usa"].get(f"/s/{sid}").text
        r = teams["usa"].post(f"/s/{sid}/message", data={
            "csrf": csrf(page, "/message"), "to": "dprk", "body": "usa-to-dprk"})
        assert r.status_code == 200

        # china keeps moving while the server is killed under it
        stop = threading.Event()
        burst: list[tuple[str, str]] = []

        def keep_moving() -> None:
            k = 0
            while not stop.is_set():
                k += 1
                try:
                    if submit(teams["china"], sid, ["china-stakeholder"], f"china-{k}"):
                        burst.append(("china", f"china-{k}"))
                except httpx.HTTPError:
                    return

        mover = threading.Thread(target=keep_moving)
        mover.start()
        deadline = time.monotonic() + 30
        while len(burst) < 5 and mover.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(burst) >= 5, "the moves before the kill were not acknowledged"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        mover.join(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        acknowledged += burst

        proc = start_server(url, port, log)  # same database, same address
        con = sqlite3.connect(tmp_path / "room.sqlite")
        stored = set(con.execute("select team, statement from room_moves").fetchall())
        latest_china = con.execute("select statement from room_moves where team = 'china' "
                                   "order by id desc limit 1").fetchone()[0]
        con.close()
        lost = [m for m in acknowledged if m not in stored]
        assert not lost, f"lost moves: {lost}"

        # the teams are still signed in and see their moves; the facilitator sees everything
        assert "usa-1" in teams["usa"].get(f"/s/{sid}").text
        assert "dprk-2" in teams["dprk"].get(f"/s/{sid}").text
        assert "usa-to-dprk" in teams["dprk"].get(f"/s/{sid}").text
        fac_page = fac.get(f"/s/{sid}").text
        for text in ("usa-1", "dprk-2", "usa-to-dprk"):
            assert text in fac_page
        # and the turn can be played to its end
        r = fac.post(f"/s/{sid}/close", data={"csrf": csrf(fac_page, "/close"), "turn": 1})
        assert r.status_code == 200
        r = fac.post(f"/s/{sid}/adjudicate", data={"csrf": csrf(r.text, "/adjudicate"),
                                                   "turn": 1})
        assert r.status_code == 200
        timeline = teams["china"].get(f"/s/{sid}/timeline").text
        assert "usa-1" in timeline and "dprk-2" in timeline and "dprk-1" not in timeline
        assert f">{latest_china}<" in timeline  # the last stored move counts (>= last acknowledged)
        assert int(latest_china[6:]) >= int(burst[-1][1][6:])
    finally:
        for c in clients:
            c.close()
        stop_server(proc)
