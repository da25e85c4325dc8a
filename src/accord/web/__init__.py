"""The crisis room: a live, multi-team exercise in the browser, adjudicated by the models.

A facilitator opens a session from a scenario; each team plays one actor and signs in with its
own secret link; each turn the teams move in private (levers, messages, a public statement); the
facilitator closes the turn and the models adjudicate; everyone sees the shared timeline. See
``docs/crisis-room.md``.

Needs the ``web`` extra (``pip install 'accord[web]'``): FastAPI, uvicorn, python-multipart,
Jinja2. ``create_app`` is imported lazily, so ``import accord.web`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.web.app import create_app
    from accord.web.db import RoomDB, default_db_url

__all__ = ["RoomDB", "create_app", "default_db_url"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from accord.web.app import create_app

        return create_app
    if name in ("RoomDB", "default_db_url"):
        from accord.web import db

        return getattr(db, name)
    raise AttributeError(f"module 'accord.web' has no attribute {name!r}")
