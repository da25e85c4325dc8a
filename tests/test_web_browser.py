"""The crisis room in a real browser: a facilitator and two teams play two full turns.

Playwright for Python drives Debian's Chromium (``/usr/bin/chromium``; never a downloaded
browser), one browser context per role, against ``accord serve`` on a loopback port. The test
checks what each role can and cannot see, and saves a screenshot of every step under its
temporary directory.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if importlib.util.find_spec("playwright") is None:
    pytest.skip("Playwright for Python is not installed (pip install 'accord[browser]')",
                allow_module_level=True)
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from .web_helpers import running_server  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Player:
    """One role in its own browser context; records console errors and takes screenshots."""

    def __init__(self, browser: Browser, name: str, shots: Path) -> None:
        self.name = name
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.step = 0

    def shot(self, what: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.shots / f"{self.name}-{self.step:02d}-{what}.png"),
                             full_page=True)

    def text(self) -> str:
        return self.page.inner_text("body")

    def reload(self) -> str:
        self.page.reload()
        return self.text()

    def move(self, levers: list[str], statement: str) -> None:
        for box in self.page.locator("#move input[name=levers]").all():
            box.set_checked(box.get_attribute("value") in levers)
        self.page.fill("#move textarea[name=statement]", statement)
        self.page.click("#submit-move")
        assert "Your move is recorded." in self.text()

    def message(self, to: str, body: str) -> None:
        self.page.select_option("#message select[name=to]", to)
        self.page.fill("#message textarea[name=body]", body)
        self.page.click("#send-message")
        assert "Message sent." in self.text()


def test_two_full_turns_in_chromium(browser: Browser, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with running_server(f"sqlite:///{tmp_path / 'room.sqlite'}", tmp_path / "server.log") as base:
        fac = Player(browser, "facilitator", shots)
        usa = Player(browser, "usa", shots)
        dprk = Player(browser, "dprk", shots)
        players = (fac, usa, dprk)
        try:
            play(base, fac, usa, dprk)
        finally:
            for p in players:
                p.context.close()
        for p in players:
            assert not [e for e in p.errors if "Content Security Policy" in e], p.errors
    assert len(list(shots.glob("*.png"))) >= 12


def play(base: str, fac: Player, usa: Player, dprk: Player) -> None:
    # the facilitator opens the exercise with two of the seven actors
    fac.page.goto(base + "/")
    fac.page.fill("input[name=name]", "Browser drill")
    fac.page.select_option("select[name=builtin]", "korea-2020")
    fac.shot("start")
    fac.page.click("#next")
    for box in fac.page.locator("input[name=teams]").all():
        box.set_checked(box.get_attribute("value") in ("usa", "dprk"))
    fac.shot("setup")
    fac.page.click("#create")
    link: dict[str, Any] = {
        team: fac.page.inner_text(f'#team-links tr[data-team="{team}"] code')
        for team in ("usa", "dprk")}
    assert fac.page.locator("#team-links tr[data-team]").count() == 2
    fac.shot("links")
    fac.page.click("#to-facilitator")
    assert "Turn 1 is open." in fac.text()

    for player in (usa, dprk):
        player.page.goto(link[player.name])
        assert "Turn 1 is open: make your move." in player.text()
    # each team is offered only the levers its actor can pull
    assert usa.page.locator('input[value="hawk-shock"]').count() == 1
    assert dprk.page.locator('input[value="hawk-shock"]').count() == 0

    # --- turn 1 ------------------------------------------------------------------------------
    usa.move(["four-nos"], "T1 USA: we seek no regime change.")
    usa.message("dprk", "T1 private USA to DPRK: talk in Panmunjom?")
    usa.shot("turn1-moved")
    dprk.move(["dual-freeze"], "T1 DPRK: we freeze tests if exercises stop.")
    dprk.shot("turn1-moved")

    d = dprk.reload()
    assert "T1 private USA to DPRK" in d and "T1 USA: we seek" not in d
    u = usa.reload()
    assert "T1 DPRK: we freeze" not in u and "Levers newly in force" not in u
    f = fac.reload()
    for text in ("T1 USA: we seek", "T1 DPRK: we freeze", "T1 private USA to DPRK"):
        assert text in f
    fac.shot("turn1-all-moves")
    # a team cannot reach the facilitator's pages
    r = dprk.page.goto(base + urlsplit(fac.page.url).path + "/report.html")
    assert r is not None and r.status == 403
    dprk.page.go_back()

    fac.page.click("#close-turn")
    assert "Turn 1 is closed." in fac.text()
    assert "Turn 1 is closed" in usa.reload() and usa.page.locator("#move").count() == 0
    fac.page.click("#adjudicate")
    assert "Turn 2 is open." in fac.text()
    fac.shot("turn1-adjudicated")

    for player in (usa, dprk):
        t = player.reload()
        assert "T1 USA: we seek" in t and "T1 DPRK: we freeze" in t  # now public
        assert "Levers newly in force" in t and "Dual freeze" in t
        player.shot("turn1-timeline")
    assert "T1 private USA to DPRK" not in usa.page.inner_text("#timeline")
    assert dprk.page.locator('#timeline table.forecast[data-model="mean"]').count() == 2

    # --- turn 2 ------------------------------------------------------------------------------
    usa.move(["troop-pledge"], "T2 USA: troops leave after reunification.")
    dprk.move(["yongbyon-deal"], "T2 DPRK: Yongbyon for relief.")
    dprk.message("usa", "T2 private DPRK to USA: inspectors welcome.")
    u = usa.reload()
    assert "T2 private DPRK to USA" in u and "T2 DPRK: Yongbyon" not in u
    assert "T2 USA: troops leave" not in dprk.reload()
    f = fac.reload()
    assert "T2 USA: troops leave" in f and "T2 private DPRK to USA" in f
    fac.page.click("#close-turn")
    fac.page.click("#adjudicate")
    assert "Turn 3 is open." in fac.text()
    fac.shot("turn2-adjudicated")
    for player in (usa, dprk):
        t = player.reload()
        assert "T2 USA: troops leave" in t and "T2 DPRK: Yongbyon" in t
        assert player.page.locator("#timeline article.turn").count() == 4  # start, 1, 2, 3
        player.shot("turn2-timeline")
    assert "T2 private DPRK to USA" not in dprk.page.inner_text("#timeline")
    assert "T1 private USA to DPRK" in usa.page.inner_text("#my-messages")  # sent by usa

    # --- the end and the after-action report ---------------------------------------------------
    fac.page.click("#end-exercise")
    assert "The exercise has ended." in fac.text()
    assert "The exercise has ended." in usa.reload() and usa.page.locator("#move").count() == 0
    usa.shot("ended")
    fac.page.click("#report-html")
    report = fac.text()
    assert "After-action report: Browser drill" in report and "Forecast trajectories" in report
    assert fac.page.locator("svg.chart").count() == 3
    assert "T2 private DPRK to USA" not in report
    fac.shot("report")
    fac.page.go_back()
    fac.page.click("#report-private")
    assert "T2 private DPRK to USA" in fac.text()
    fac.shot("report-private")
