"""The crisis room through its HTTP interface: flow, roles, privacy, CSRF, escaping, limits."""

from __future__ import annotations

import re
import sqlite3
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("multipart")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from accord import AccordError, load_scenario
from accord.web import create_app
from accord.web.adjudicate import TeamMove, adjudicate, lever_actors, pullable_levers
from accord.web.app import COOKIE
from accord.web.db import RoomDB
from accord.web.report import md_escape
from accord.web.security import RateLimiter, check_yaml_text, csrf_token

from .web_helpers import csrf, open_session


def esc(text: str) -> str:
    """``text`` as the pages show it (Jinja2's autoescape)."""
    return str(markupsafe.escape(text))


XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'


@dataclass
class Room:
    """A session of korea-2020 with three teams, each in its own client."""

    app: object
    db_path: Path
    sid: str
    facilitator: TestClient
    teams: dict[str, TestClient]
    links: dict[str, str]
    facilitator_link: str

    def page(self, who: str) -> str:
        client = self.facilitator if who == "facilitator" else self.teams[who]
        r = client.get(f"/s/{self.sid}")
        assert r.status_code == 200, r.text
        return r.text

    def move(self, team: str, levers: list[str], statement: str = "", turn: int = 1) -> int:
        token = csrf(self.page(team), "/move")
        return self.teams[team].post(f"/s/{self.sid}/move", data={
            "csrf": token, "turn": turn, "levers": levers, "statement": statement}).status_code

    def message(self, sender: str, to: str, body: str) -> int:
        token = csrf(self.page(sender), "/message")
        return self.teams[sender].post(f"/s/{self.sid}/message", data={
            "csrf": token, "to": to, "body": body}).status_code

    def act(self, what: str, **data: object) -> int:
        token = csrf(self.page("facilitator"), f"/{what}")
        return self.facilitator.post(f"/s/{self.sid}/{what}",
                                     data={"csrf": token, **data}).status_code

    def turn(self, number: int, models: list[str] | None = None) -> None:
        assert self.act("close", turn=number) == 200
        assert self.act("adjudicate", turn=number, models=models or ["mean", "median"]) == 200

    def counts(self) -> dict[str, int]:
        con = sqlite3.connect(self.db_path)
        try:
            return {t: con.execute(f"select count(*) from room_{t}").fetchone()[0]
                    for t in ("moves", "messages", "statements", "timeline", "forecasts",
                              "turns", "credentials")}
        finally:
            con.close()


def make_room(tmp_path: Path, **options: object) -> Room:
    db_path = tmp_path / "room.sqlite"
    app = create_app(f"sqlite:///{db_path}", **options)  # type: ignore[arg-type]
    facilitator = TestClient(app)
    sid, flink, team_links = open_session(facilitator, ["usa", "dprk", "china"])
    teams = {}
    for team, link in team_links.items():
        client = TestClient(app)
        r = client.get(link)
        assert r.status_code == 200 and r.url.path == f"/s/{sid}"
        teams[team] = client
    return Room(app, db_path, sid, facilitator, teams, team_links, flink)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    yield make_room(tmp_path)


# --- the exercise -------------------------------------------------------------------------------
def test_full_flow_two_turns(room: Room) -> None:
    s = load_scenario("korea-2020")
    assert room.move("usa", ["four-nos"], "We offer the four nos.") == 200
    assert room.move("usa", ["four-nos", "dual-freeze"], "We offer the four nos and a freeze.") == 200
    assert room.move("dprk", ["dual-freeze"], "We freeze if they do.") == 200
    assert room.message("usa", "dprk", "Meet in Panmunjom?") == 200
    fac = room.page("facilitator")
    assert "We offer the four nos and a freeze." in fac and "revised 1×" in fac
    assert "Meet in Panmunjom?" in fac
    assert "no move" in fac  # china has not moved
    room.turn(1)

    timeline = room.teams["china"].get(f"/s/{room.sid}/timeline").text
    assert "We offer the four nos and a freeze." in timeline and "We freeze if they do." in timeline
    assert esc(s.lever("four-nos").name) in timeline and esc(s.lever("dual-freeze").name) in timeline
    assert "Turn 2 opened" in timeline and "change" in timeline

    assert room.move("china", ["china-stakeholder"], "A stake, not a broker.",
                     turn=2) == 200
    assert room.move("usa", ["dual-freeze"], turn=2) == 200  # already in force: no effect
    room.turn(2, models=["mean", "nash"])

    db = RoomDB(f"sqlite:///{room.db_path}")
    forecasts = db.forecasts(room.sid)
    assert {(f.turn, f.model) for f in forecasts} == {
        (0, "mean"), (0, "median"), (1, "mean"), (1, "median"), (2, "mean"), (2, "nash")}
    by = {(f.turn, f.model): f for f in forecasts}
    assert by[(1, "mean")].levers == ("four-nos", "dual-freeze")
    assert by[(2, "mean")].levers == ("four-nos", "dual-freeze", "china-stakeholder")
    for issue, value in by[(2, "mean")].outcome.items():
        assert by[(2, "mean")].delta is not None
        assert by[(2, "mean")].delta[issue] == pytest.approx(value - by[(1, "mean")].outcome[issue])
    assert by[(2, "nash")].delta is not None  # nash was not run in turn 1: compared all the same
    statements = [(x.turn, x.team) for x in db.statements(room.sid)]
    assert statements == [(1, "usa"), (1, "dprk"), (2, "china")]

    end_token = csrf(room.page("facilitator"), "/end")
    assert room.act("end") == 200
    assert room.facilitator.post(f"/s/{room.sid}/end", data={"csrf": end_token}).status_code == 409
    assert 'action="/s/' + room.sid + '/end"' not in room.page("facilitator")
    team_page = room.page("usa")
    assert "The exercise has ended." in team_page and "/move" not in team_page

    html = room.facilitator.get(f"/s/{room.sid}/report.html")
    assert html.status_code == 200 and "<svg" in html.text and "Forecast trajectories" in html.text
    assert "Meet in Panmunjom?" not in html.text  # the public report holds no private traffic
    private = room.facilitator.get(f"/s/{room.sid}/report.html?private=1").text
    assert "Meet in Panmunjom?" in private and "A stake, not a broker." in private
    md = room.facilitator.get(f"/s/{room.sid}/report.md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "## Forecast trajectories" in md.text and "| 2 |" in md.text
    assert room.facilitator.get(f"/s/{room.sid}/report.pdf").status_code == 404


def test_each_team_sees_only_its_own_traffic(room: Room) -> None:
    assert room.move("usa", ["four-nos"], "usa-statement-secret") == 200
    assert room.move("dprk", ["yongbyon-deal"], "dprk-statement-secret") == 200
    assert room.message("usa", "dprk", "usa-to-dprk-secret") == 200
    assert room.message("dprk", "china", "dprk-to-china-secret") == 200
    s = load_scenario("korea-2020")

    usa, dprk, china = room.page("usa"), room.page("dprk"), room.page("china")
    assert "usa-statement-secret" in usa and "dprk-statement-secret" not in usa
    assert "usa-to-dprk-secret" in usa and "dprk-to-china-secret" not in usa
    assert "dprk-statement-secret" in dprk and "usa-statement-secret" not in dprk
    assert "usa-to-dprk-secret" in dprk and "dprk-to-china-secret" in dprk
    assert "dprk-to-china-secret" in china
    for secret in ("usa-statement-secret", "dprk-statement-secret", "usa-to-dprk-secret"):
        assert secret not in china
    # before adjudication nobody else learns which levers were pulled
    assert "Levers newly in force" not in china
    for team in ("usa", "dprk", "china"):
        assert "usa-to-dprk-secret" not in room.teams[team].get(
            f"/s/{room.sid}/timeline").text
    fac = room.page("facilitator")
    for secret in ("usa-statement-secret", "dprk-statement-secret", "usa-to-dprk-secret",
                   "dprk-to-china-secret"):
        assert secret in fac

    room.turn(1)
    china = room.page("china")
    assert "usa-statement-secret" in china and "dprk-statement-secret" in china  # now public
    assert esc(s.lever("yongbyon-deal").name) in china  # in force, but not who pulled it
    assert "usa-to-dprk-secret" not in china and "dprk-to-china-secret" in china
    assert "usa-to-dprk-secret" not in room.page("usa").split('id="timeline"')[1]


def test_levers_a_team_may_pull(room: Room) -> None:
    s = load_scenario("korea-2020")
    page = room.page("dprk")
    for lever in s.levers:
        assert (f'value="{lever.id}"' in page) == ("dprk" in lever_actors(lever))
    before = room.counts()
    assert room.move("dprk", ["hawk-shock"]) == 403  # edits only the US actors
    assert room.move("dprk", ["no-such-lever"]) == 403
    assert room.counts() == before
    assert [lv.id for lv in pullable_levers(s, "dprk")] == [
        lv.id for lv in s.levers if "dprk" in lever_actors(lv)]


def test_pullable_levers_open_to_all_when_no_actor_is_named() -> None:
    s = load_scenario("korea-2020")
    data = s.model_dump(mode="json")
    data["levers"].append({"id": "world", "name": "World event",
                           "edits": [{"field": "status_quo", "issue": "sanctions", "value": 40}]})
    from accord import Scenario

    s2 = Scenario.model_validate(data)
    for actor in s2.actor_ids:
        assert "world" in [lv.id for lv in pullable_levers(s2, actor)]


def test_adjudicate_is_cumulative_and_ignores_repeats() -> None:
    s = load_scenario("example-trade")
    first = adjudicate(s, 1, [], [TeamMove("south", ("side-payment",))], ["mean"])
    assert first.in_force == ("side-payment",) and first.applied == {"side-payment": ("south",)}
    again = adjudicate(s, 2, first.in_force, [TeamMove("north", ("side-payment",))], ["mean"],
                       first.forecasts)
    assert again.in_force == ("side-payment",) and again.repeated == {"side-payment": ("north",)}
    assert all(abs(d) < 1e-12 for d in again.deltas["mean"].values())


def test_messages_must_go_to_another_team(room: Room) -> None:
    assert room.message("usa", "usa", "to myself") == 400
    assert room.message("usa", "rok", "not in this exercise") == 400
    assert room.message("usa", "dprk", "   ") == 400
    assert room.counts()["messages"] == 0


def test_pages_show_the_latest_messages_with_a_link_to_all(room: Room) -> None:
    token = csrf(room.page("usa"), "/message")
    for k in range(53):
        assert room.teams["usa"].post(f"/s/{room.sid}/message", data={
            "csrf": token, "to": "dprk", "body": f"note-{k}-end"}).status_code == 200
    for who in ("dprk", "facilitator"):
        page = room.page(who)
        assert "The latest 50 of 53" in page and "note-52-end" in page and "note-0-end" not in page
    client = room.teams["dprk"]
    assert "note-0-end" in client.get(f"/s/{room.sid}?every=1").text
    assert "note-0-end" not in room.page("china")


def test_moves_only_into_the_open_turn(room: Room) -> None:
    token = csrf(room.page("usa"), "/move")
    assert room.act("close", turn=1) == 200
    before = room.counts()
    r = room.teams["usa"].post(f"/s/{room.sid}/move",
                               data={"csrf": token, "turn": 1, "levers": ["four-nos"]})
    assert r.status_code == 409 and "not open" in r.text
    assert room.act("adjudicate", turn=1) == 200  # turn 2 is open now; turn 1 stays closed
    assert room.teams["usa"].post(f"/s/{room.sid}/move", data={
        "csrf": token, "turn": 1, "levers": []}).status_code == 409
    assert room.counts()["moves"] == before["moves"]
    assert room.move("usa", ["four-nos"], turn=2) == 200


def test_adjudicating_twice_or_an_open_turn_is_refused(room: Room) -> None:
    secret = room.facilitator_link.rsplit("/", 1)[1]
    adj = csrf_token(secret, f"{room.sid}:adjudicate")
    close = csrf_token(secret, f"{room.sid}:close")
    assert room.facilitator.post(f"/s/{room.sid}/adjudicate",
                                 data={"csrf": adj, "turn": 1}).status_code == 409  # still open
    assert room.facilitator.post(f"/s/{room.sid}/close",
                                 data={"csrf": close, "turn": 1}).status_code == 200
    assert room.facilitator.post(f"/s/{room.sid}/close",
                                 data={"csrf": close, "turn": 1}).status_code == 409
    assert room.facilitator.post(f"/s/{room.sid}/adjudicate",
                                 data={"csrf": adj, "turn": 1}).status_code == 200
    assert room.facilitator.post(f"/s/{room.sid}/adjudicate",
                                 data={"csrf": adj, "turn": 1}).status_code == 409
    assert room.facilitator.post(f"/s/{room.sid}/adjudicate", data={
        "csrf": adj, "turn": 2, "models": ["bogus"]}).status_code == 400


# --- who may do what ------------------------------------------------------------------------------
def endpoints(sid: str) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("GET", f"/s/{sid}", {}), ("GET", f"/s/{sid}/timeline", {}),
        ("GET", f"/s/{sid}/report.html", {}), ("GET", f"/s/{sid}/report.md", {}),
        ("POST", f"/s/{sid}/move", {"turn": 1, "levers": ["four-nos"], "statement": "x"}),
        ("POST", f"/s/{sid}/message", {"to": "dprk", "body": "x"}),
        ("POST", f"/s/{sid}/close", {"turn": 1}), ("POST", f"/s/{sid}/adjudicate", {"turn": 1}),
        ("POST", f"/s/{sid}/end", {}), ("POST", f"/s/{sid}/reissue", {"team": "usa"}),
    ]


def call(client: TestClient, method: str, path: str, data: dict[str, object], token: str = "",
         cookie: str | None = None) -> int:
    if cookie is not None:
        client.cookies.clear()
        client.cookies.set(COOKIE, cookie)
    if method == "GET":
        return client.get(path).status_code
    return client.post(path, data={"csrf": token, **data}).status_code


def test_every_endpoint_refuses_guests_and_forged_tokens(room: Room, tmp_path: Path) -> None:
    before = room.counts()
    guest = TestClient(room.app)  # type: ignore[arg-type]
    for method, path, data in endpoints(room.sid):
        assert call(guest, method, path, data) == 401, path
    other = make_room(tmp_path / "other")  # a real token, but of another session
    forged = ["A" * 43, "not-a-token", room.links["usa"].rsplit("/", 1)[1][:-1] + "x",
              other.links["usa"].rsplit("/", 1)[1],
              other.facilitator_link.rsplit("/", 1)[1]]
    for token in forged:
        for method, path, data in endpoints(room.sid):
            fresh = TestClient(room.app)  # type: ignore[arg-type]
            room.app.state.limiter._failures.clear()  # type: ignore[attr-defined]
            assert call(fresh, method, path, data, cookie=token) == 401, (token, path)
    for token in forged[:3]:
        room.app.state.limiter._failures.clear()  # type: ignore[attr-defined]
        assert TestClient(room.app).get(f"/join/{token}").status_code == 404  # type: ignore[arg-type]
    assert room.counts() == before


def test_every_endpoint_checks_the_role(room: Room) -> None:
    before = room.counts()
    facilitator_only = {"report.html", "report.md", "close", "adjudicate", "end", "reissue"}
    team_only = {"move", "message"}
    fac_page = room.page("facilitator")
    usa_page = room.page("usa")
    for method, path, data in endpoints(room.sid):
        action = path.rsplit("/", 1)[1]
        if action in facilitator_only:  # a team, even with a valid CSRF token of its own
            token = csrf(usa_page, "/move")
            assert call(room.teams["usa"], method, path, data, token) == 403, path
        if action in team_only:
            token = csrf(fac_page, "/close")
            assert call(room.facilitator, method, path, data, token) == 403, path
    assert room.counts() == before


def test_a_team_cannot_use_another_teams_form_token(room: Room) -> None:
    token = csrf(room.page("dprk"), "/move")
    r = room.teams["usa"].post(f"/s/{room.sid}/move",
                               data={"csrf": token, "turn": 1, "levers": ["four-nos"]})
    assert r.status_code == 403
    assert room.counts()["moves"] == 0


# --- forms and input -----------------------------------------------------------------------------
def test_csrf_is_enforced_on_every_form(room: Room) -> None:
    before = room.counts()
    usa, fac = room.page("usa"), room.page("facilitator")
    cases = [
        (room.teams["usa"], "move", {"turn": 1, "levers": ["four-nos"]}, csrf(usa, "/message")),
        (room.teams["usa"], "message", {"to": "dprk", "body": "x"}, csrf(usa, "/move")),
        (room.facilitator, "close", {"turn": 1}, csrf(fac, "/end")),
        (room.facilitator, "adjudicate", {"turn": 1}, csrf(fac, "/close")),
        (room.facilitator, "end", {}, csrf(fac, "/close")),
        (room.facilitator, "reissue", {"team": "usa"}, csrf(fac, "/close")),
    ]
    for client, action, data, wrong in cases:
        for token in ("", wrong, "0" * 64):
            r = client.post(f"/s/{room.sid}/{action}", data={"csrf": token, **data})
            assert r.status_code == 403, (action, token)
    # the right token from another site is refused too
    r = room.teams["usa"].post(f"/s/{room.sid}/move", headers={"Origin": "http://evil.example"},
                               data={"csrf": csrf(usa, "/move"), "turn": 1})
    assert r.status_code == 403
    assert room.counts() == before
    # opening a session needs the start page's token and cookie
    guest = TestClient(room.app)  # type: ignore[arg-type]
    assert guest.post("/new", data={"csrf": "x", "builtin": "korea-2020"}).status_code == 403
    token = csrf(guest.get("/").text, "/new")
    stranger = TestClient(room.app)  # type: ignore[arg-type]
    assert stranger.post("/new", data={"csrf": token, "builtin": "korea-2020"}).status_code == 403
    assert guest.post("/sessions", data={"csrf": token, "builtin": "korea-2020",
                                         "teams": ["usa"], "models": ["mean"]}).status_code == 403


def test_script_injection_is_escaped_everywhere(tmp_path: Path) -> None:
    data = {
        "id": "xss", "name": f"Scenario {XSS}", "description": XSS,
        "issues": [{"id": "i1", "name": f"Issue {XSS}", "anchors": {0: XSS, 100: XSS},
                    "status_quo": 50},
                   {"id": "i2", "name": "Plain", "status_quo": 50}],
        "actors": [{"id": a, "name": f"{a} {XSS}", "capability": 10,
                    "positions": {"i1": 20 + 30 * k, "i2": 50}, "saliences": {"i1": 50, "i2": 50}}
                   for k, a in enumerate(("a", "b"))],
        "levers": [{"id": "lv", "name": f"Lever {XSS}", "description": XSS,
                    "edits": [{"field": "position", "actor": "a", "issue": "i1", "value": 60}]}],
    }
    app = create_app(f"sqlite:///{tmp_path / 'x.sqlite'}")
    fac = TestClient(app)
    home = fac.get("/")
    step = fac.post("/new", data={"csrf": csrf(home.text, "/new"), "name": f"Name {XSS}"},
                    files={"upload": (f"{XSS}.yaml", yaml.safe_dump(data).encode())})
    assert step.status_code == 200, step.text
    form = dict(re.findall(r'name="(name|source|builtin|key)" value="([^"]*)"', step.text))
    import html as _html

    text = _html.unescape(re.search(r'<textarea name="yaml" hidden>\n(.*?)</textarea>', step.text,
                                    re.S).group(1))  # type: ignore[union-attr]
    done = fac.post("/sessions", data={
        "csrf": csrf(step.text, "/sessions"), "yaml": text, "teams": ["a", "b"],
        "models": ["mean"], **{k: _html.unescape(v) for k, v in form.items()}})
    assert done.status_code == 200, done.text
    pages = [step.text, done.text]
    sid = re.search(r'href="/s/([^"]+)"', done.text).group(1)  # type: ignore[union-attr]
    team_link = re.findall(r'<code class="link">([^<]+)</code>', done.text)[0]
    a = TestClient(app)
    a.get(team_link)
    a_page = a.get(f"/s/{sid}").text
    a.post(f"/s/{sid}/move", data={"csrf": csrf(a_page, "/move"), "turn": 1, "levers": ["lv"],
                                   "statement": XSS})
    a.post(f"/s/{sid}/message", data={"csrf": csrf(a_page, "/message"), "to": "b", "body": XSS})
    fpage = fac.get(f"/s/{sid}").text
    fac.post(f"/s/{sid}/close", data={"csrf": csrf(fpage, "/close"), "turn": 1})
    fac.post(f"/s/{sid}/adjudicate", data={"csrf": csrf(fac.get(f"/s/{sid}").text, "/adjudicate"),
                                           "turn": 1})
    pages += [a.get(f"/s/{sid}").text, fac.get(f"/s/{sid}").text,
              a.get(f"/s/{sid}/timeline").text,
              fac.get(f"/s/{sid}/report.html?private=1").text]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert all("&lt;script&gt;" in page for page in pages)
    md = fac.get(f"/s/{sid}/report.md?private=1").text
    assert "<script>" not in md and "<img" not in md and "&lt;script&gt;" in md
    assert md_escape("[click](javascript:x) *b* <i>") == r"\[click\](javascript:x) \*b\* &lt;i&gt;"
    # an invalid upload shows its located errors, escaped
    bad = dict(data, actors=[{"id": "a", "name": XSS, "capability": -1}] * 2)
    home = fac.get("/")
    r = fac.post("/new", data={"csrf": csrf(home.text, "/new")},
                 files={"upload": ("bad.yaml", yaml.safe_dump(bad).encode())})
    assert r.status_code == 400 and "bad.yaml:" in r.text and "<script>alert" not in r.text


def test_uploaded_scenarios_are_validated_with_located_errors(room: Room) -> None:
    client = room.facilitator
    token = csrf(client.get("/").text, "/new")
    bad = "id: t\nname: t\nissues:\n  - id: i\n    name: I\nactors:\n  - id: a\n    name: A\n" \
          "    capability: -5\n"
    r = client.post("/new", data={"csrf": token, "yaml": bad})
    assert r.status_code == 400
    assert "pasted YAML:9: actors[0].capability" in r.text
    r = client.post("/new", data={"csrf": token}, files={"upload": ("s.yaml", b"\xff\xfe")})
    assert r.status_code == 400 and "not UTF-8" in r.text
    laughs = "a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    r = client.post("/new", data={"csrf": token, "yaml": laughs})
    assert r.status_code == 400 and "pasted YAML:2: YAML aliases" in r.text
    with pytest.raises(AccordError, match="nested deeper"):
        check_yaml_text("[" * 100 + "]" * 100, "deep")
    r = client.post("/new", data={"csrf": token, "builtin": "no-such"})
    assert r.status_code == 400 and "unknown built-in" in r.text


def test_request_size_limit(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 's.sqlite'}", max_body=4096)
    client = TestClient(app)
    token = csrf(client.get("/").text, "/new")
    r = client.post("/new", data={"csrf": token, "yaml": "x" * 10_000})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"a" * 1000

    r = client.post("/new", content=chunks(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    r = client.post("/new", data={"csrf": token, "builtin": "example-trade"})
    assert r.status_code == 200


def test_long_text_is_refused(room: Room) -> None:
    assert room.move("usa", [], "x" * 2001) == 400
    assert room.message("usa", "dprk", "y" * 2001) == 400
    assert room.counts()["moves"] == 0 and room.counts()["messages"] == 0


def test_join_attempts_are_rate_limited(tmp_path: Path) -> None:
    room = make_room(tmp_path, join_limit=3, join_window=60.0)
    attacker = TestClient(room.app)  # type: ignore[arg-type]
    for k in range(3):
        assert attacker.get(f"/join/{'B' * 42}{k}").status_code == 404
    r = attacker.get(f"/join/{'B' * 43}")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # once blocked, even a valid link (or cookie) from that address waits: no oracle for guesses
    assert attacker.get(room.links["usa"]).status_code == 429
    attacker.cookies.set(COOKIE, "C" * 43)
    assert attacker.get(f"/s/{room.sid}").status_code == 429


def test_forged_cookies_count_towards_the_limit(tmp_path: Path) -> None:
    room = make_room(tmp_path, join_limit=2)
    c = TestClient(room.app)  # type: ignore[arg-type]
    c.cookies.set(COOKIE, "D" * 43)
    assert c.get(f"/s/{room.sid}").status_code == 401
    c.cookies.set(COOKIE, "E" * 43)
    assert c.get(f"/s/{room.sid}").status_code == 401
    c.cookies.set(COOKIE, "F" * 43)
    assert c.get(f"/s/{room.sid}").status_code == 429


def test_rate_limiter_window_passes() -> None:
    import time

    limiter = RateLimiter(2, 0.2)
    limiter.fail("ip")
    limiter.fail("ip")
    assert limiter.retry_after("ip") > 0 and limiter.retry_after("other") == 0
    time.sleep(0.25)
    assert limiter.retry_after("ip") == 0


def test_reissued_link_replaces_the_old_one(room: Room) -> None:
    token = csrf(room.page("facilitator"), "/reissue")
    r = room.facilitator.post(f"/s/{room.sid}/reissue", data={"csrf": token, "team": "usa"})
    assert r.status_code == 200
    new = re.search(r'id="new-link">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert room.teams["usa"].get(f"/s/{room.sid}").status_code == 401  # old cookie is dead
    assert TestClient(room.app).get(room.links["usa"]).status_code == 404  # type: ignore[arg-type]
    fresh = TestClient(room.app)  # type: ignore[arg-type]
    assert fresh.get(new).status_code == 200 and "four-nos" in fresh.get(f"/s/{room.sid}").text
    assert room.facilitator.post(f"/s/{room.sid}/reissue", data={
        "csrf": token, "team": "rok"}).status_code == 400


def test_security_headers_and_cookie_flags(room: Room) -> None:
    r = room.teams["usa"].get(f"/s/{room.sid}")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    join = TestClient(room.app).get(room.links["dprk"], follow_redirects=False)  # type: ignore[arg-type]
    assert join.status_code == 303
    cookie = join.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path=/s/{room.sid}" in cookie


def test_tokens_are_stored_hashed(room: Room) -> None:
    raw = b"".join(p.read_bytes() for p in room.db_path.parent.glob("room.sqlite*"))
    for link in [room.facilitator_link, *room.links.values()]:
        assert link.rsplit("/", 1)[1].encode() not in raw


def test_state_survives_a_new_app_on_the_same_database(room: Room) -> None:
    assert room.move("usa", ["four-nos"], "kept") == 200
    app2 = create_app(f"sqlite:///{room.db_path}")
    c = TestClient(app2)
    c.cookies.set(COOKIE, room.links["usa"].rsplit("/", 1)[1])
    assert "kept" in c.get(f"/s/{room.sid}").text


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    RoomDB(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("update room_meta set value = '99' where key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(AccordError, match="newer accord"):
        RoomDB(f"sqlite:///{path}")


def test_in_memory_database_works() -> None:
    app = create_app("sqlite://")
    _, _, links = open_session(TestClient(app), ["usa", "dprk"])
    c = TestClient(app)
    assert c.get(links["usa"]).status_code == 200


def test_creation_key(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'k.sqlite'}", create_key="sesame")
    c = TestClient(app)
    page = c.get("/").text
    assert 'name="key"' in page
    assert c.post("/new", data={"csrf": csrf(page, "/new"), "builtin": "korea-2020",
                                "key": "wrong"}).status_code == 403
    assert c.post("/new", data={"csrf": csrf(page, "/new"), "builtin": "korea-2020",
                                "key": "sesame"}).status_code == 200


def test_bad_team_or_model_choice(room: Room) -> None:
    c = room.facilitator
    home = c.get("/")
    step = c.post("/new", data={"csrf": csrf(home.text, "/new"), "builtin": "korea-2020"})
    token = csrf(step.text, "/sessions")
    for teams, models in ((["mars"], ["mean"]), ([], ["mean"]), (["usa"], []),
                          (["usa"], ["bogus"])):
        r = c.post("/sessions", data={"csrf": token, "builtin": "korea-2020", "teams": teams,
                                      "models": models})
        assert r.status_code == 400, (teams, models)


def test_serve_without_the_web_extra_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from accord.web import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(AccordError, match=r"uvicorn missing.*accord\[web\]"):
        cli.serve(db="sqlite://", port=1)


def test_serve_command_is_listed(capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from accord.cli import main

    monkeypatch.setattr(sys, "argv", ["accord", "serve", "--help"])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--db" in out and "--port" in out and "--host" in out


def test_local_helpers_read_tokens_and_fail_clearly(tmp_path: Path) -> None:
    from accord.web.local import form_token, free_port, start_server

    page = ('<form method="post" action="/s/abc/move">\n  '
            '<input type="hidden" name="csrf" value="tok123">')
    assert form_token(page, "/move") == "tok123"
    with pytest.raises(RuntimeError, match="no form for /close"):
        form_token(page, "/close")
    port = free_port()
    assert 1024 <= port <= 65535
    # a database URL the server cannot open: it exits, and the error carries its log
    with pytest.raises(RuntimeError, match="server exited"):
        start_server("nosuchdriver://x", port, tmp_path / "server.log", timeout=30)
