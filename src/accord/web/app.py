"""The crisis-room web application: :func:`create_app` builds the FastAPI app.

Pages are rendered on the server (Jinja2, autoescaped); the only script is a small static file
that refreshes the timeline panel. Roles: anyone who can reach the server may open a session
(unless a creation key is set); a *facilitator* and one *team* per chosen actor sign in through
their secret join links. Every route below checks the caller's role and session itself.
"""

from __future__ import annotations

import hmac
import multiprocessing
import os
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import PurePath
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
import jinja2
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.middleware.trustedhost import TrustedHostMiddleware

from accord.api import DEFAULT_MODELS
from accord.errors import AccordError
from accord.models.registry import available_models
from accord.scenario.resolve import builtin_scenarios, load_scenario
from accord.scenario.schema import Scenario
from accord.scenario.yamlio import load_scenario_text
from accord.web.adjudicate import TeamMove, adjudicate, baseline, pullable_levers
from accord.web.db import Principal, RoomDB, Session
from accord.web.report import build_report, render_markdown
from accord.web.security import (
    BodySizeLimit,
    RateLimiter,
    SecurityHeaders,
    check_csrf,
    check_yaml_text,
    csrf_token,
)
from accord.web.views import TimelineCache, facilitator_view, team_view

__all__ = ["COOKIE", "LIMITS", "RoomError", "create_app"]

COOKIE = "accord_room"
ANON_COOKIE = "accord_csrf"
LIMITS = {"name": 120, "statement": 2000, "message": 2000}
"""Longest accepted text, in characters, per field."""
T = TypeVar("T")
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


class RoomError(Exception):
    """An error page: status, message, and whether to drop the caller's session cookie."""

    def __init__(self, status: int, message: str, *, clear_cookie: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.clear_cookie = clear_cookie
        self.retry_after = retry_after


class _Pool:
    """Runs a function in a process pool of ``size`` (started on first use), or inline if 0."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.size <= 0:
            return fn(*args)
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.size, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_watch_parent, initargs=(os.getpid(),))
        return self._executor.submit(fn, *args).result()

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


def _watch_parent(parent: int) -> None:
    """In a pool process: exit as soon as the server that started it is gone (even SIGKILLed)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="accord-parent-watch", daemon=True).start()


def _ready() -> bool:
    """Run in a fresh pool process: import what adjudication needs."""
    import accord.web.adjudicate  # noqa: F401

    return True


def _text(value: str, field: str, *, required: bool = False) -> str:
    text = value.replace("\x00", "").replace("\r\n", "\n").strip()
    if required and not text:
        raise RoomError(400, f"The {field} is empty.")
    if len(text) > LIMITS[field]:
        raise RoomError(400, f"The {field} is too long ({len(text)} characters; at most "
                             f"{LIMITS[field]}).")
    return text


def create_app(db_url: str | None = None, *, max_body: int = 1_048_576, join_limit: int = 10,
               join_window: float = 60.0, create_key: str | None = None,
               public_url: str | None = None, allowed_hosts: Sequence[str] | None = None,
               threads: int | None = None, adjudication_processes: int = 0) -> FastAPI:
    """The crisis-room app on the session database at ``db_url`` (SQLAlchemy URL).

    ``max_body`` caps request bodies (bytes); ``join_limit`` failed sign-ins per ``join_window``
    seconds per client address are allowed; ``create_key``, when set, must be given to open a
    session; ``public_url`` is the base of the join links (default: the request's own URL);
    ``allowed_hosts`` restricts the Host header (defends a loopback server against DNS
    rebinding). Tuning for a served room: ``threads`` caps the worker threads that serve
    requests (fewer threads fight less over the GIL), and ``adjudication_processes`` > 0 runs
    the models in a process pool, so an adjudication never stalls the players' requests.
    """
    db = RoomDB(db_url)
    limiter = RateLimiter(join_limit, join_window)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accord.web", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["LIMITS"] = LIMITS
    pool = _Pool(adjudication_processes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if threads:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        if adjudication_processes:  # start the pool now, not during the first adjudication
            threading.Thread(target=pool.run, args=(_ready,), daemon=True).start()
        try:
            yield
        finally:
            pool.shutdown()
            db.close()

    app = FastAPI(title="accord crisis room", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.db = db
    app.state.limiter = limiter
    static = resources.files("accord.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=max_body)

    def page(template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**ctx), status_code=code)

    timelines = TimelineCache(lambda blocks: env.get_template("_timeline.html").render(
        timeline=blocks))

    def timeline_html(sid: str) -> Markup:
        return Markup(timelines.html(db, sid))  # rendered (and escaped) by _timeline.html

    def base_url(request: Request) -> str:
        return (public_url or str(request.base_url)).rstrip("/")

    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def check_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin is None:  # not a browser, or an old one: the CSRF token still guards the form
            return
        own = {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, filter(None, (
            str(request.base_url), public_url)))}
        if origin not in own:
            raise RoomError(403, "This form was sent from another site; it was refused.")

    def principal(request: Request, sid: str) -> Principal:
        if not SESSION_ID.fullmatch(sid):
            raise RoomError(404, "No such exercise.")
        token = request.cookies.get(COOKIE)
        if not token:
            raise RoomError(401, "You are not signed in to this exercise. Open the join link "
                                 "you were given.")
        wait = limiter.retry_after(client(request))
        if wait:
            raise RoomError(429, "Too many failed sign-in attempts from your address; try "
                                 "again later.", retry_after=wait)
        who = db.authenticate(token)
        if who is None or who.session_id != sid:
            limiter.fail(client(request))
            raise RoomError(401, "Your sign-in is not valid for this exercise (the link may "
                                 "have been replaced). Open the join link you were given.",
                            clear_cookie=sid)
        return who

    def team(request: Request, sid: str) -> Principal:
        who = principal(request, sid)
        if who.role != "team":
            raise RoomError(403, "Only a team can do this.")
        return who

    def facilitator(request: Request, sid: str) -> Principal:
        who = principal(request, sid)
        if who.role != "facilitator":
            raise RoomError(403, "Only the facilitator can do this.")
        return who

    def check_form(request: Request, who: Principal, purpose: str, given: str) -> None:
        check_origin(request)
        if not check_csrf(who.secret, f"{who.session_id}:{purpose}", given):
            raise RoomError(403, "The form has expired or was not sent from this exercise's "
                                 "page; reload the page and try again.")

    def tokens(who: Principal, *purposes: str) -> dict[str, str]:
        return {p: csrf_token(who.secret, f"{who.session_id}:{p}") for p in purposes}

    @app.exception_handler(RoomError)
    async def room_error(request: Request, exc: RoomError) -> Response:
        response = page("error.html", exc.status, status=exc.status, message=exc.message)
        if exc.clear_cookie:
            response.delete_cookie(COOKIE, path=f"/s/{exc.clear_cookie}")
        if exc.retry_after:
            response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return page("error.html", 400, status=400,
                    message=f"The form is incomplete or malformed ({', '.join(fields)}).")

    # --- opening a session -----------------------------------------------------------------
    def anon_secret(request: Request) -> str:
        return request.cookies.get(ANON_COOKIE) or ""

    def check_anon(request: Request, purpose: str, given: str, key: str) -> None:
        check_origin(request)
        secret = anon_secret(request)
        if not secret or not check_csrf(secret, purpose, given):
            raise RoomError(403, "The form has expired; go back to the start page and try again.")
        if create_key is not None and not hmac.compare_digest(key.encode(), create_key.encode()):
            raise RoomError(403, "Opening an exercise on this server needs the creation key.")

    def home(request: Request, status: int = 200, errors: Sequence[str] = ()) -> HTMLResponse:
        secret = anon_secret(request) or secrets.token_urlsafe(32)
        response = page("home.html", status, builtins=builtin_scenarios(), errors=errors,
                        csrf=csrf_token(secret, "new"), need_key=create_key is not None)
        response.set_cookie(ANON_COOKIE, secret, httponly=True, samesite="strict",
                            secure=https(request))
        return response

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        return home(request)

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    def read_scenario(builtin: str, text: str, label: str) -> tuple[Scenario, str, str]:
        """(scenario, YAML text to carry, where it came from); ScenarioError when invalid."""
        if text.strip():
            check_yaml_text(text, label)
            return load_scenario_text(text, label), text, label
        if builtin not in builtin_scenarios():
            raise AccordError(f"unknown built-in scenario '{builtin}'")
        return load_scenario(builtin), "", f"{builtin} (built-in)"

    @app.post("/new", response_class=HTMLResponse)
    def new(request: Request, csrf: Annotated[str, Form()] = "",
            name: Annotated[str, Form()] = "", builtin: Annotated[str, Form()] = "",
            yaml: Annotated[str, Form()] = "", key: Annotated[str, Form()] = "",
            upload: Annotated[UploadFile | None, File()] = None) -> Response:
        check_anon(request, "new", csrf, key)
        label = "pasted YAML"
        if upload is not None and upload.filename:
            raw = upload.file.read(max_body + 1)
            label = PurePath(upload.filename.replace("\\", "/")).name[:100] or "upload"
            try:
                yaml = raw.decode("utf-8")
            except UnicodeDecodeError:
                return home(request, 400, [f"{label}: not UTF-8 text"])
        try:
            title = _text(name, "name") or "Exercise"
            scenario, text, source = read_scenario(builtin, yaml, label)
        except AccordError as exc:
            return home(request, 400, str(exc).splitlines())
        except RoomError as exc:
            return home(request, exc.status, [exc.message])
        return page("setup.html", name=title, scenario=scenario, yaml=text, builtin=builtin,
                    source=source, models=available_models(), defaults=DEFAULT_MODELS,
                    csrf=csrf_token(anon_secret(request), "create"), key=key,
                    levers={a.id: len(pullable_levers(scenario, a.id)) for a in
                            scenario.actors})

    @app.post("/sessions", response_class=HTMLResponse)
    def create(request: Request, csrf: Annotated[str, Form()] = "",
               name: Annotated[str, Form()] = "", builtin: Annotated[str, Form()] = "",
               yaml: Annotated[str, Form()] = "", source: Annotated[str, Form()] = "",
               key: Annotated[str, Form()] = "",
               teams: Annotated[list[str] | None, Form()] = None,
               models: Annotated[list[str] | None, Form()] = None) -> Response:
        check_anon(request, "create", csrf, key)
        try:
            title = _text(name, "name") or "Exercise"
            scenario, _, label = read_scenario(builtin, yaml, _text(source, "name") or "upload")
        except AccordError as exc:
            return home(request, 400, str(exc).splitlines())
        chosen = [a for a in scenario.actor_ids if a in set(teams or ())]
        unknown = sorted(set(teams or ()) - set(scenario.actor_ids))
        if unknown or not chosen:
            raise RoomError(400, "Choose at least one team among the scenario's actors"
                            + (f" (unknown: {', '.join(unknown)})." if unknown else "."))
        picked = [m for m in available_models() if m in set(models or ())]
        if not picked or set(models or ()) - set(picked):
            raise RoomError(400, "Choose at least one of the available models.")
        try:
            start = baseline(scenario, picked)
        except AccordError as exc:
            raise RoomError(400, f"The models cannot forecast this scenario: {exc}") from None
        created = db.create_session(title, scenario, label, chosen, picked, start)
        base = base_url(request)
        response = page(
            "created.html", name=title, sid=created.id,
            facilitator_link=f"{base}/join/{created.facilitator_token}",
            team_links=[(scenario.actor(t).name, t, f"{base}/join/{tok}")
                        for t, tok in created.team_tokens.items()])
        sign_in(request, response, created.id, created.facilitator_token)
        return response

    def https(request: Request) -> bool:
        return request.url.scheme == "https" or (public_url or "").startswith("https://")

    def sign_in(request: Request, response: Response, sid: str, token: str) -> None:
        response.set_cookie(COOKIE, token, path=f"/s/{sid}", httponly=True, samesite="lax",
                            secure=https(request), max_age=60 * 60 * 24 * 30)

    # --- signing in ------------------------------------------------------------------------
    @app.get("/join/{token}")
    def join(request: Request, token: str) -> Response:
        wait = limiter.retry_after(client(request))
        if wait:
            raise RoomError(429, "Too many failed sign-in attempts from your address; try "
                                 "again later.", retry_after=wait)
        who = db.authenticate(token)
        if who is None:
            limiter.fail(client(request))
            raise RoomError(404, "This join link is not valid (it may have been replaced).")
        if who.team is not None:
            db.mark_joined(who.session_id, who.team)
        response = RedirectResponse(f"/s/{who.session_id}", status_code=303)
        sign_in(request, response, who.session_id, token)
        return response

    # --- the exercise ----------------------------------------------------------------------
    def session_of(sid: str) -> Session:
        session = db.session(sid)
        if session is None:  # pragma: no cover - a valid credential implies the session
            raise RoomError(404, "No such exercise.")
        return session

    @app.get("/s/{sid}", response_class=HTMLResponse)
    def exercise(request: Request, sid: str, done: str = "", every: int = 0) -> Response:
        who = principal(request, sid)
        session = session_of(sid)
        notice = {"move": "Your move is recorded.", "message": "Message sent.",
                  "closed": "Turn closed.", "adjudicated": "Turn adjudicated.",
                  "ended": "Exercise ended."}.get(done, "")
        if who.role == "facilitator":
            return page("facilitator.html", notice=notice,
                        **facilitator_view(db, session, bool(every)),
                        csrf=tokens(who, "close", "adjudicate", "end", "reissue"),
                        timeline_html=timeline_html(sid))
        assert who.team is not None
        return page("team.html", notice=notice, **team_view(db, session, who.team, bool(every)),
                    csrf=tokens(who, "move", "message"), timeline_html=timeline_html(sid))

    @app.get("/s/{sid}/timeline", response_class=HTMLResponse)
    def timeline(request: Request, sid: str) -> Response:
        principal(request, sid)
        return HTMLResponse(timelines.html(db, sid))

    def finished(sid: str, what: str) -> Response:
        return RedirectResponse(f"/s/{sid}?done={what}", status_code=303)

    @app.post("/s/{sid}/move")
    def move(request: Request, sid: str, csrf: Annotated[str, Form()] = "",
             turn: Annotated[int, Form()] = 0, statement: Annotated[str, Form()] = "",
             levers: Annotated[list[str] | None, Form()] = None) -> Response:
        who = team(request, sid)
        check_form(request, who, "move", csrf)
        assert who.team is not None
        allowed = [lv.id for lv in pullable_levers(db.scenario(sid), who.team)]
        chosen = list(dict.fromkeys(levers or ()))
        refused = [x for x in chosen if x not in allowed]
        if refused:
            raise RoomError(403, f"Your team cannot pull: {', '.join(refused)}.")
        text = _text(statement, "statement")
        ordered = [x for x in allowed if x in chosen]
        if not db.submit_move(sid, who.team, turn, ordered, text):
            raise RoomError(409, f"Turn {turn} is not open for moves; your move was not "
                                 "recorded.")
        return finished(sid, "move")

    @app.post("/s/{sid}/message")
    def message(request: Request, sid: str, csrf: Annotated[str, Form()] = "",
                to: Annotated[str, Form()] = "", body: Annotated[str, Form()] = "") -> Response:
        who = team(request, sid)
        check_form(request, who, "message", csrf)
        teams = {t.id for t in db.teams(sid)}
        if to not in teams or to == who.team:
            raise RoomError(400, "Choose another team of this exercise as the recipient.")
        assert who.team is not None
        if not db.send_message(sid, who.team, to, _text(body, "message", required=True)):
            raise RoomError(409, "The exercise has ended; the message was not sent.")
        return finished(sid, "message")

    @app.post("/s/{sid}/close")
    def close(request: Request, sid: str, csrf: Annotated[str, Form()] = "",
              turn: Annotated[int, Form()] = 0) -> Response:
        who = facilitator(request, sid)
        check_form(request, who, "close", csrf)
        if not db.close_turn(sid, turn):
            raise RoomError(409, f"Turn {turn} is not open.")
        return finished(sid, "closed")

    @app.post("/s/{sid}/adjudicate")
    def adjudicate_turn(request: Request, sid: str, csrf: Annotated[str, Form()] = "",
                        turn: Annotated[int, Form()] = 0,
                        models: Annotated[list[str] | None, Form()] = None) -> Response:
        who = facilitator(request, sid)
        check_form(request, who, "adjudicate", csrf)
        session = session_of(sid)
        picked = [m for m in available_models() if m in set(models or session.models)]
        if not picked:
            raise RoomError(400, "Choose at least one of the available models.")
        current = db.current_turn(sid)
        if current.number != turn or current.status != "closed":
            raise RoomError(409, f"Turn {turn} is not closed and waiting for adjudication.")
        records = db.forecasts(sid)
        last = max(f.turn for f in records)
        previous = {f.model: f.outcome for f in records if f.turn == last}
        in_force = next(f.levers for f in records if f.turn == last)
        latest: dict[str, tuple[str, ...]] = {}
        texts: dict[str, str] = {}
        for m in db.moves(sid, turn=turn):
            latest[m.team] = m.levers
            texts[m.team] = m.statement
        order = [t.id for t in db.teams(sid)]
        moves = [TeamMove(t, latest[t]) for t in order if t in latest]
        try:
            result = pool.run(adjudicate, db.scenario(sid), turn, in_force, moves, picked,
                              previous)
        except AccordError as exc:
            raise RoomError(400, f"The models could not adjudicate turn {turn}: {exc}") from None
        statements = [(t, texts[t]) for t in order if texts.get(t)]
        if not db.record_adjudication(sid, result, statements):
            raise RoomError(409, f"Turn {turn} was adjudicated already.")
        return finished(sid, "adjudicated")

    @app.post("/s/{sid}/end")
    def end(request: Request, sid: str, csrf: Annotated[str, Form()] = "") -> Response:
        who = facilitator(request, sid)
        check_form(request, who, "end", csrf)
        if not db.end_session(sid):
            raise RoomError(409, "The exercise has ended already.")
        return finished(sid, "ended")

    @app.post("/s/{sid}/reissue", response_class=HTMLResponse)
    def reissue(request: Request, sid: str, csrf: Annotated[str, Form()] = "",
                team: Annotated[str, Form()] = "") -> Response:
        who = facilitator(request, sid)
        check_form(request, who, "reissue", csrf)
        token = db.reissue(sid, team)
        if token is None:
            raise RoomError(400, "No such team in this exercise.")
        name = next(t.name for t in db.teams(sid) if t.id == team)
        return page("reissued.html", sid=sid, team=name,
                    link=f"{base_url(request)}/join/{token}")

    @app.get("/s/{sid}/report.{fmt}")
    def report(request: Request, sid: str, fmt: str, private: int = 0) -> Response:
        facilitator(request, sid)
        ctx = build_report(db, sid, include_private=bool(private))
        suffix = "-private" if private else ""
        if fmt == "md":
            return PlainTextResponse(
                render_markdown(ctx), media_type="text/markdown; charset=utf-8",
                headers={"Content-Disposition":
                         f'attachment; filename="accord-{sid}{suffix}.md"'})
        if fmt != "html":
            raise RoomError(404, "Reports come as .html or .md.")
        response = page("report.html", **ctx)
        response.headers["Content-Security-Policy"] = REPORT_CSP
        return response

    return app
