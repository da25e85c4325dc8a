"""The ``accord`` command line: each command is one library call plus its printing."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from accord.api import DEFAULT_MODELS, forecast_all
from accord.cli_common import JsonOpt, StoreOpt, err, out, print_json, write_file
from accord.cli_runs import runs_app
from accord.cli_tables import (
    deals_table,
    format_number,
    format_value,
    history_json,
    history_table,
    scenario_table,
)
from accord.errors import AccordError
from accord.scenario.resolve import DEFAULT_SCENARIO, builtin_scenarios, load_scenario
from accord.scenario.schema import Scenario

__all__ = ["app", "main"]

app = typer.Typer(
    name="accord",
    help="Model multi-party negotiations and forecast where they land.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A built-in scenario name (see `accord scenarios`), a scenario YAML file, a KTAB CSV "
        "or a decide-exchange-model file.",
        show_default=True,
    ),
]


SaveOpt = Annotated[bool, typer.Option("--save", help="Save the result to the run store.")]


def _save(store: str | None, kind: str, scenario: Scenario, result: dict[str, Any],
          params: dict[str, Any] | None = None, seed: int | None = None) -> None:
    from accord.store import RunStore

    db = RunStore(store)
    run_id = db.save(kind, scenario, result, params, seed)
    err.print(f"saved run {run_id} to {db.url}")


class ExportFormat(StrEnum):
    yaml = "yaml"
    ktab_csv = "ktab-csv"
    decide_csv = "decide-csv"


@app.command()
def forecast(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="Model to run (repeatable). Default: mean, median, nash."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="Also show each iterative model's position trajectories."),
    ] = False,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-P", help="Model parameter MODEL.NAME=VALUE or NAME=VALUE "
                     "(repeatable), e.g. exchange.arithmetic=exact."),
    ] = None,
    deals: Annotated[
        bool, typer.Option("--deals", help="Print the exchanges the exchange model realises.")
    ] = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Forecast where the negotiation lands, per issue and model."""
    from accord.api import parse_params

    s = load_scenario(scenario)
    models = list(dict.fromkeys(model or DEFAULT_MODELS))
    if deals and "exchange" not in models:
        models.append("exchange")
    params = parse_params(param or [], models)
    results = forecast_all(s, models, params)
    if save:
        _save(store, "forecast", s, {"forecasts": {m: f.to_dict() for m, f in results.items()}},
              {"models": list(results), "params": params})
    if as_json:
        payload: dict[str, Any] = {
            "scenario": s.id,
            "forecasts": {m: f.outcome_by_issue() for m, f in results.items()},
        }
        if history:
            payload["history"] = {
                m: history_json(f) for m, f in results.items() if f.history is not None
            }
        print_json(payload)
        return
    table = Table(title=f"{s.name} — forecast", title_justify="left", show_lines=True)
    table.add_column("issue")
    table.add_column("status quo", justify="right")
    for m in results:
        table.add_column(m)
    for k, issue in enumerate(s.issues):
        sq = "—" if issue.status_quo is None else format_value(issue.status_quo.value)
        cells = []
        for f in results.values():
            value = float(f.outcome[k])
            label = issue.nearest_anchor(value)
            cells.append(f"[bold]{format_value(value)}[/bold]"
                         + (f"\n[dim]{label}[/dim]" if label else ""))
        table.add_row(issue.name, sq, *cells)
    out.print(table)
    for m, f in results.items():
        if f.diagnostics.get("stop"):
            out.print(f"[dim]{m}: {f.diagnostics['states']} states, stopped: "
                      f"{f.diagnostics['stop']}.[/dim]")
        if deals and m == "exchange":
            out.print(deals_table(s, f))
        if history and f.history is not None:
            table = history_table(s, m, f)
            wide = Console(highlight=False, width=max(out.width, table.__rich_measure__(
                out, out.options).maximum + 4))
            wide.print(table)
        if f.diagnostics.get("disagreement_point") == "worst_case":
            out.print(f"[dim]{m}: no status quo in this scenario, so the disagreement point is "
                      "each actor's worst outcome.[/dim]")
        if f.diagnostics.get("agreement") is False:
            out.print(f"[dim]{m}: no outcome makes every actor better off than the status quo; "
                      "the forecast is the status quo.[/dim]")


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="Scenario file (YAML, KTAB CSV or decide) or name.")],
) -> None:
    """Check a scenario file: print "ok" or its errors (exit 1)."""
    load_scenario(file)
    out.print("ok")


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help="A KTAB CSV or decide-exchange-model file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario YAML to write.")],
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
) -> None:
    """Convert a KTAB CSV or decide file into an accord scenario YAML."""
    from accord.scenario.convert import format_scenario

    write_file(output, format_scenario(load_scenario(file), "yaml"), force)
    err.print(f"wrote {output}")


@app.command()
def export(
    scenario: ScenarioArg,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.yaml,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
) -> None:
    """Write a scenario as YAML, KTAB CSV or decide CSV."""
    from accord.scenario.convert import format_scenario

    text = format_scenario(load_scenario(scenario), fmt.value)
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text, force)
        err.print(f"wrote {output}")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    table = Table(title="built-in scenarios", title_justify="left")
    for col in ("name", "title", "actors", "issues", "levers"):
        table.add_column(col)
    for name in builtin_scenarios():
        s = load_scenario(name)
        table.add_row(name, s.name, str(len(s.actors)), str(len(s.issues)), str(len(s.levers)))
    out.print(table)


@app.command()
def models() -> None:
    """List the forecasting models."""
    from accord.models import available_models, get_model

    table = Table(title="models", title_justify="left")
    table.add_column("name")
    table.add_column("what it computes")
    for name in available_models():
        table.add_row(name, get_model(name).summary)
    out.print(table)


@app.command()
def show(scenario: ScenarioArg = DEFAULT_SCENARIO) -> None:
    """Print the actors × issues table of a scenario."""
    out.print(scenario_table(load_scenario(scenario)))


LeverOpt = Annotated[
    list[str] | None, typer.Option("--lever", "-l", help="Lever id to apply (repeatable).")
]
ModelOpt = Annotated[
    list[str] | None, typer.Option("--model", "-m", help="Model (repeatable).")
]


@app.command()
def compare(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    lever: LeverOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Compare forecasts: baseline, each lever alone, all levers together, and the deltas."""
    from accord.analysis.compare import compare as run

    result = run(load_scenario(scenario), lever or [], model or DEFAULT_MODELS)
    if save:
        _save(store, "compare", result.scenario, result.to_dict(),
              {"levers": list(result.levers), "models": list(result.models)})
    if as_json:
        print_json(result.to_dict())
        return
    s = result.scenario
    for m in result.models:
        table = Table(title=f"{s.name} — {m}: forecast (Δ vs baseline)", title_justify="left")
        table.add_column("issue")
        for variant in result.variants:
            table.add_column(variant, justify="right")
        for issue in s.issues:
            cells = []
            for variant in result.variants:
                value = result.forecasts[variant][m][issue.id]
                if variant == "baseline":
                    cells.append(f"{value:.1f}")
                else:
                    d = result.delta(variant)[m][issue.id]
                    color = "green" if d > 0.05 else "red" if d < -0.05 else "dim"
                    cells.append(f"{value:.1f} [{color}]({d:+.1f})[/{color}]")
            table.add_row(issue.name, *cells)
        out.print(table)


def _progress_bar(label: str) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeRemainingColumn(), console=err, transient=True)


@app.command()
def sweep(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    draws: Annotated[int, typer.Option(min=1, help="Number of Monte Carlo draws.")] = 1000,
    model: ModelOpt = None,
    lever: LeverOpt = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed.")] = None,
    executor: Annotated[str, typer.Option(help="serial, processes or dask.")] = "serial",
    address: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    as_json: JsonOpt = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Sample the scenario's uncertainty and report forecast quantiles per issue and model."""
    from accord.analysis.executors import make_executor
    from accord.analysis.sweep import BLOCK
    from accord.analysis.sweep import sweep as run

    ex = make_executor(executor, workers=workers, address=address)
    s = load_scenario(scenario)
    with _progress_bar(f"sweep {s.id}") as bar:
        task = bar.add_task("draws", total=draws)
        result = run(s, model or DEFAULT_MODELS, levers=lever or [], draws=draws, seed=seed,
                     executor=ex, progress=lambda done, total: bar.update(
                         task, completed=min(done * BLOCK, draws)))
    if save:
        _save(store, "sweep", s, result.to_dict(),
              {"models": list(result.models), "levers": list(result.levers), "draws": draws},
              result.seed)
    if as_json:
        print_json(result.to_dict())
        return
    summary = result.summary()
    for m, issues in summary.items():
        table = Table(title=f"{s.name} — {m}, {draws} draws (seed {result.seed})",
                      title_justify="left")
        for col in ("issue", "mean", "5%", "25%", "50%", "75%", "95%"):
            table.add_column(col, justify="left" if col == "issue" else "right")
        for issue in s.issues:
            st = issues[issue.id]
            table.add_row(issue.name, *(f"{st[k]:.1f}" for k in
                                        ("mean", "q05", "q25", "q50", "q75", "q95")))
        out.print(table)


@app.command()
def sensitivity(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    output: Annotated[str, typer.Option(help="The issue whose forecast is analysed.")] = "",
    model: Annotated[str, typer.Option("--model", "-m", help="Model.")] = "mean",
    samples: Annotated[int, typer.Option(help="Sobol base samples (a power of two).")] = 512,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    lever: LeverOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 20,
    as_json: JsonOpt = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Sobol sensitivity of one issue's forecast to every uncertain value (SALib)."""
    from accord.analysis.sensitivity import sensitivity as run

    s = load_scenario(scenario)
    if not output:
        raise AccordError(f"name the issue to analyse with --output (one of: "
                          f"{', '.join(s.issue_ids)})")
    result = run(s, output, model, samples, seed, lever or [])
    if save:
        _save(store, "sensitivity", s, result.to_dict(),
              {"output": output, "model": model, "samples": samples, "levers": lever or []}, seed)
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title=f"{s.name} — what drives the {model} forecast of {output} "
                  f"({result.to_dict()['evaluations']} evaluations)", title_justify="left")
    for col in ("input", "total effect ST", "first order S1"):
        table.add_column(col, justify="left" if col == "input" else "right")
    for row in result.inputs[:top]:
        table.add_row(str(row["input"]), f"{row['ST']:.3f} ± {row['ST_conf']:.3f}",
                      f"{row['S1']:.3f} ± {row['S1_conf']:.3f}")
    out.print(table)


@app.command()
def strategy(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    protocol: Annotated[
        list[str] | None,
        typer.Option("--protocol", "-p", help="grand_bargain or incremental (repeatable)."),
    ] = None,
    lever: LeverOpt = None,
    draws: Annotated[int, typer.Option(min=1, help="Monte Carlo draws per protocol.")] = 2000,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed.")] = None,
    as_json: JsonOpt = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Grand bargain vs incremental: negotiate, then implement phase by phase with cheating."""
    from accord.negotiation import run_strategy

    s = load_scenario(scenario)
    with err.status("simulating"):
        result = run_strategy(s, protocol or ("grand_bargain", "incremental"), lever or [],
                              draws, seed)
    data = result.to_dict()
    if save:
        _save(store, "strategy", s, data, {"protocols": list(data["protocols"]),
                                            "levers": lever or [], "draws": draws},
              data["metadata"]["seed"])
    if as_json:
        print_json(data)
        return
    protocols = data["protocols"]
    table = Table(title=f"{s.name} — strategy lab, {draws} draws per protocol "
                  f"(seed {data['metadata']['seed']})", title_justify="left")
    table.add_column("")
    for name in protocols:
        table.add_column(name, justify="right")

    def row(label: str, get: Any, digits: int = 2) -> None:
        table.add_row(label, *(format_number(get(p), digits) for p in protocols.values()))

    row("P(agreement)", lambda p: p.get("p_agreement"))
    for level in ("25", "50", "75"):
        row(f"P(denuclearization ≥ {level})",
            lambda p, lv=level: (p.get("p_denuclearization") or {}).get(lv))
    row("P(breakdown)", lambda p: p.get("p_breakdown"))
    row("expected phases completed", lambda p: p.get("expected_phases"), 1)
    for issue in s.issues:
        row(f"expected {issue.id}", lambda p, k=issue.id: p["expected_final"][k], 1)
    for actor in s.actors:
        row(f"utility: {actor.id}", lambda p, a=actor.id: p["expected_utility"][a], 3)
    out.print(table)
    if data["metadata"].get("defaulted"):
        out.print(f"[dim]parameters not in the scenario, at their documented defaults: "
                  f"{', '.join(data['metadata']['defaulted'])}[/dim]")


@app.command()
def crisis(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    lever: LeverOpt = None,
    draws: Annotated[int | None, typer.Option(
        min=1, help="Solve the game for this many draws of the scenario's uncertainty and "
        "report distributions (default: the point values only).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (with --draws).")] = None,
    executor: Annotated[str, typer.Option(
        help="With --draws: serial, processes or dask.")] = "serial",
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    address: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster).")
    ] = None,
    as_json: JsonOpt = False,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """The Korea crisis game: would China intervene if the US struck, and which lever changes it?"""
    from accord.analysis.executors import make_executor
    from accord.crisis import crisis_report, crisis_sweep

    s = load_scenario(scenario)
    if draws is not None:
        ex = make_executor(executor, workers=workers, address=address)
        with _progress_bar(f"crisis {s.id}") as bar:
            task = bar.add_task("draws", total=draws)
            result = crisis_sweep(s, lever or [], draws=draws, seed=seed, executor=ex,
                                  progress=lambda done, total: bar.update(task, completed=done))
        data = result.to_dict()
        if save:
            _save(store, "crisis_sweep", s, data,
                  {"levers": lever or [], "draws": draws}, result.seed)
        if as_json:
            print_json(data)
        else:
            out.print(result.summary(), markup=False, soft_wrap=True)
        return
    if seed is not None or executor != "serial" or workers or address:
        raise AccordError("crisis: --seed, --executor, --workers and --address only matter "
                          "with --draws, which samples the scenario's uncertainty; without it "
                          "the game is solved once, at the point values")
    report = crisis_report(s, levers=lever or [])
    data = report.to_dict()
    if save:
        _save(store, "crisis", s, data, {"levers": lever or []})
    if as_json:
        print_json(data)
        return
    out.print(report.summary(), markup=False, soft_wrap=True)
    table = Table(title="equilibrium paths", title_justify="left")
    table.add_column("outcome")
    table.add_column("probability", justify="right")
    for path in data["paths"]:
        table.add_row(str(path["node"]), f"{path['probability']:.3f}")
    out.print(table)


class ReportFormat(StrEnum):
    html = "html"
    md = "md"


@app.command()
def report(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario (built-in name or file); not with --run.")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path(
        "report.html"),
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html or md.")] = (
        ReportFormat.html),
    lever: LeverOpt = None,
    draws: Annotated[int, typer.Option(min=1, help="Monte Carlo draws.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    run: Annotated[
        list[str] | None,
        typer.Option("--run", help="Build from stored run(s) instead of computing (repeatable)."),
    ] = None,
    store: StoreOpt = None,
    force: Annotated[bool, typer.Option(help="Overwrite OUTPUT if it exists.")] = False,
) -> None:
    """Write a report (HTML with embedded figures, or Markdown with PNGs beside it)."""
    from accord.report import compute_report, render_html, render_markdown, report_from_runs

    if output.exists() and not force:
        raise AccordError(f"{output}: already exists; choose another name or pass --force")
    if run:
        if scenario is not None:
            raise AccordError("give either a scenario or --run, not both")
        from accord.store import RunStore

        db = RunStore(store)
        data = report_from_runs([db.get(r) for r in run])
    else:
        with err.status("computing") as status:
            data = compute_report(load_scenario(scenario or DEFAULT_SCENARIO), lever or [],
                                  draws, seed, progress=lambda label: status.update(label))
    with err.status("rendering"):
        text = render_html(data) if fmt == ReportFormat.html else render_markdown(data, output)
    write_file(output, text, force=True)
    err.print(f"wrote {output}")


@app.command()
def serve(
    db: Annotated[str | None, typer.Option("--db", help="Session database URL (SQLAlchemy; "
                  "default: SQLite in your data dir, or $ACCORD_ROOM_DB).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Run the crisis room: a live multi-team exercise in the browser (needs accord[web])."""
    from accord.web.cli import serve as run

    run(db=db, host=host, port=port)


app.add_typer(runs_app, name="runs")


def main() -> None:
    """Entry point: run the app; print accord errors as one message, no traceback, exit 1."""
    try:
        app()
    except AccordError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", markup=True, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
