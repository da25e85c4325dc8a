"""The ``accord runs`` command group: list, show and export runs saved in the run store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.cli_common import JsonOpt, StoreOpt, err, out, print_json, write_file

__all__ = ["runs_app", "runs_export", "runs_list", "runs_show"]

runs_app = typer.Typer(help="Saved runs: list, show, export.", no_args_is_help=True)


@runs_app.command("list")
def runs_list(
    store: StoreOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only runs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many (newest first).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List stored runs, newest first."""
    from accord.store import RunStore

    db = RunStore(store)
    runs = db.list(kind, limit)
    if as_json:
        print_json([{k: v for k, v in r.to_dict().items() if k not in ("scenario", "result")}
                    for r in runs])
        return
    table = Table(title=f"runs in {db.url}", title_justify="left")
    for col in ("id", "kind", "scenario", "created", "seed", "accord"):
        table.add_column(col)
    for r in runs:
        table.add_row(r.id, r.kind, r.scenario_id, r.created,
                      "" if r.seed is None else str(r.seed), r.accord_version)
    out.print(table)


@runs_app.command("show")
def runs_show(run_id: str, store: StoreOpt = None) -> None:
    """Print one stored run as JSON."""
    from accord.store import RunStore

    print_json(RunStore(store).get(run_id).to_dict())


@runs_app.command("export")
def runs_export(
    run_id: str,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON file to write.")],
    store: StoreOpt = None,
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
) -> None:
    """Write one stored run to a JSON file."""
    from accord.store import RunStore

    write_file(output, json.dumps(RunStore(store).get(run_id).to_dict(), indent=2), force)
    err.print(f"wrote {output}")
