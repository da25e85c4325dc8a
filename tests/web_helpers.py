"""Helpers for the crisis-room tests: read form tokens from pages, run `accord serve` on loopback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

LINK = re.compile(r'<code class="link"[^>]*>([^<]+)</code>')
SERVE = "import sys; from accord.cli import main; sys.argv[0] = 'accord'; main()"


def csrf(html: str, action: str) -> str:
    """The CSRF token of the form posting to ``action`` (a path ending, e.g. ``/move``)."""
    m = re.search(r'action="[^"]*' + re.escape(action) + r'"[^>]*>\s*'
                  r'<input type="hidden" name="csrf" value="([^"]+)"', html)
    assert m, f"no form for {action} on the page"
    return m.group(1)


def links(html: str) -> tuple[str, dict[str, str]]:
    """(facilitator link, {team: link}) from the page shown after opening a session."""
    found = LINK.findall(html)
    teams = re.findall(r'<tr data-team="([^"]+)"><td>[^<]*</td><td><code class="link">([^<]+)',
                       html)
    return found[0], dict(teams)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`accord serve` as a subprocess on 127.0.0.1:port; returns once it answers."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--db", db_url, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text()}")


@contextmanager
def running_server(db_url: str, log: Path) -> Iterator[str]:
    """A served crisis room for the duration of the block; yields its base URL."""
    port = free_port()
    proc = start_server(db_url, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_session(client: httpx.Client, teams: list[str], models: list[str] | None = None,
                 scenario: str = "korea-2020", name: str = "Exercise") -> tuple[str, str,
                                                                                dict[str, str]]:
    """Open a session through the forms; returns (session id, facilitator link, team links)."""
    home = client.get("/")
    step = client.post("/new", data={"csrf": csrf(home.text, "/new"), "name": name,
                                     "builtin": scenario})
    assert step.status_code == 200, step.text
    done = client.post("/sessions", data={
        "csrf": csrf(step.text, "/sessions"), "name": name, "builtin": scenario, "yaml": "",
        "source": "", "teams": teams, "models": models or ["mean", "median"]})
    assert done.status_code == 200, done.text
    facilitator, team_links = links(done.text)
    sid = re.search(r'href="/s/([^"]+)"', done.text)
    assert sid
    return sid.group(1), facilitator, team_links
