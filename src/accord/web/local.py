"""Run the crisis room as a subprocess on loopback, for tests, benchmarks and local exercises.

``running_server`` starts ``accord serve`` on 127.0.0.1 at a free port with the given database,
waits until ``/healthz`` answers, yields the base URL and stops the server on the way out,
whatever happens. ``form_token`` reads the CSRF token of a form from a served page. Needs the
``web`` extra (httpx).
"""

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

__all__ = ["HOST", "form_token", "free_port", "running_server", "start_server", "stop_server"]

HOST = "127.0.0.1"  # loopback only
_SERVE = "import sys; from accord.cli import main; sys.argv[0] = 'accord'; main()"
_FORM = r'action="[^"]*{}"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"'


def form_token(html: str, action: str) -> str:
    """The CSRF token of the form posting to ``action`` (a path ending, e.g. ``/move``)."""
    m = re.search(_FORM.format(re.escape(action)), html)
    if not m:
        raise RuntimeError(f"no form for {action} on the page")
    return m.group(1)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log: Path, timeout: float = 30.0
                 ) -> subprocess.Popen[bytes]:
    """``accord serve`` as a subprocess on loopback at ``port``, its output appended to
    ``log``; returns once ``/healthz`` answers, or raises with the log if it exits or does not
    answer within ``timeout`` seconds."""
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", _SERVE, "serve", "--db", db_url,
                                 "--host", HOST, "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"server did not start within {timeout:g} s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server, and kill it if it has not stopped after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_server(db_url: str, log: Path) -> Iterator[str]:
    """A served crisis room for the duration of the block; yields its base URL."""
    port = free_port()
    proc = start_server(db_url, port, log)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        stop_server(proc)
