"""What the ``accord`` command modules share: the consoles, common options and output helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from accord.errors import AccordError

__all__ = ["JsonOpt", "StoreOpt", "err", "out", "print_json", "write_file"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Run store URL (SQLAlchemy; default: SQLite in your data dir, "
                 "or $ACCORD_STORE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


def print_json(data: Any) -> None:
    """Print ``data`` to stdout as indented JSON."""
    typer.echo(json.dumps(data, indent=2))


def write_file(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` without ever clobbering an existing file unless forced."""
    if path.exists() and not force:
        raise AccordError(f"{path}: already exists; choose another name or pass --force")
    if path.is_dir():
        raise AccordError(f"{path}: is a directory")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AccordError(f"{path}: cannot write ({exc.strerror})") from None
