"""Reports: figures, HTML and Markdown, rebuilt from stored runs, and checked in a real browser."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from accord import load_scenario
from accord.report import (
    ReportData,
    compute_report,
    figures,
    png_bytes,
    render_html,
    render_markdown,
)

from .conftest import CliResult

Cli = Callable[..., CliResult]

TRADE = load_scenario("example-trade")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def trade_report() -> ReportData:
    return compute_report(TRADE, draws=300, seed=1)


def test_every_figure_renders() -> None:
    s = TRADE
    fc = {"mean": {"tariffs": 70.0, "disputes": 60.0}, "nash": {"tariffs": 50.0, "disputes": 40.0}}
    figs = [
        figures.forecast_strips(s, fc),
        figures.trajectories(s, [[[90, 70], [30, 90], [60, 20]], [[80, 70], [40, 80], [60, 30]]], "smp"),
        figures.lever_deltas(s, {"side-payment": {"mean": {"tariffs": 3.0, "disputes": 0.0}}}, "mean"),
        figures.sweep_ranges(s, {"mean": {i: {"mean": 50, "q05": 40, "q25": 45, "q50": 50, "q75": 55,
                                              "q95": 60} for i in ("tariffs", "disputes")}}),
        figures.sensitivity_bars({"model": "mean", "output": "tariffs", "inputs": [
            {"input": "a", "S1": 0.5, "ST": 0.6}, {"input": "b", "S1": 0.1, "ST": 0.2}]}),
        figures.strategy_outcomes({"protocols": {"grand_bargain": {"p_denuclearization": {
            "25": 0.9, "50": 0.5, "75": 0.2}, "p_breakdown": 0.1}}}),
    ]
    for fig in figs:
        data = png_bytes(fig, dpi=40)
        assert data.startswith(b"\x89PNG") and len(data) > 1000


def test_html_is_self_contained(trade_report: ReportData) -> None:
    html = render_html(trade_report)
    assert html.count("data:image/png;base64,") >= 3
    for title in ("Scenario", "Forecasts by model", "Lever comparison", "Uncertainty", "Provenance"):
        assert title in html
    assert "src=\"http" not in html and "<script" not in html


def test_user_text_is_escaped(trade_report: ReportData) -> None:
    evil = TRADE.model_copy(update={"description": "<script>alert(1)</script>"})
    html = render_html(ReportData(evil, trade_report.results))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_markdown_writes_pngs_beside(trade_report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    text = render_markdown(trade_report, path)
    pngs = sorted(p.name for p in tmp_path.glob("r-*.png"))
    assert pngs and all(f"]({name})" in text for name in pngs)




def test_report_from_stored_runs_without_recomputing(tmp_path: Path, cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STORE", f"sqlite:///{tmp_path / 'runs.sqlite'}")
    assert cli("forecast", "example-trade", "--save")[0] == 0
    assert cli("sweep", "example-trade", "--draws", "200", "--seed", "3", "--save")[0] == 0
    code, out, _ = cli("runs", "list", "--json")
    ids = [r["id"] for r in json.loads(out)]
    import accord.report

    monkeypatch.setattr(accord.report, "compute_report", None)  # recomputing would fail
    target = tmp_path / "from-runs.html"
    runs = [arg for i in ids for arg in ("--run", i)]
    code, _, err = cli("report", *runs, "-o", str(target))
    assert code == 0, err
    html = target.read_text()
    assert "Forecasts by model" in html and "Uncertainty" in html and "200 draws" in html
    code, _, err = cli("report", "example-trade", "-o", str(target))
    assert code == 1 and "already exists" in err
    code, _, err = cli("report", "--run", "nope", "-o", str(tmp_path / "x.html"))
    assert code == 1 and "no run 'nope'" in err


def _browser_ready() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (CI installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'accord[dev]')"
    return None


def test_report_opens_in_chromium(trade_report: ReportData, tmp_path: Path) -> None:
    reason = _browser_ready()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(trade_report), encoding="utf-8")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        loaded = page.evaluate(
            "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert loaded and all(loaded), loaded
    assert not errors, errors
    assert (tmp_path / "report.png").stat().st_size > 10_000
