"""``accord serve``: run the crisis room with uvicorn (called lazily from :mod:`accord.cli`)."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import sys

from accord.errors import AccordError

__all__ = ["LOOPBACK_HOSTS", "serve"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
_NEEDS = {"fastapi": ("fastapi",), "uvicorn": ("uvicorn",), "Jinja2": ("jinja2",),
          "python-multipart": ("python_multipart", "multipart")}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(db: str | None = None, host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "info") -> None:
    """Serve the crisis room on ``host:port`` with the session database at ``db``.

    Settings that rarely change come from the environment: ``ACCORD_ROOM_DB`` (the default
    database URL), ``ACCORD_ROOM_PUBLIC_URL`` (the base of join links behind a proxy),
    ``ACCORD_ROOM_KEY`` (a key needed to open exercises). On a loopback address the server
    answers only to loopback host names (no DNS rebinding).
    """
    missing = [name for name, modules in _NEEDS.items()
               if not any(importlib.util.find_spec(m) for m in modules)]
    if missing:
        raise AccordError(f"the crisis room needs the web extra ({', '.join(missing)} missing): "
                          "pip install 'accord[web]'")
    import uvicorn

    from accord.web.app import create_app
    from accord.web.db import default_db_url

    url = db or default_db_url()
    public_url = os.environ.get("ACCORD_ROOM_PUBLIC_URL") or None
    allowed = list(LOOPBACK_HOSTS) if _is_loopback(host) and public_url is None else None
    app = create_app(url, create_key=os.environ.get("ACCORD_ROOM_KEY") or None,
                     public_url=public_url, allowed_hosts=allowed, threads=16,
                     adjudication_processes=1)
    sys.setswitchinterval(0.001)  # this process only serves: hand the GIL round sooner
    shown = f"[{host}]" if ":" in host else host
    print(f"accord crisis room on http://{shown}:{port}/ (sessions in {url})", file=sys.stderr,
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
