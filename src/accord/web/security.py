"""Crisis-room security: secret tokens, CSRF tokens, rate limits, size limits, response headers.

* Join tokens come from :func:`secrets.token_urlsafe` (256 bits). Only their SHA-256 is stored:
  the tokens carry 256 bits of entropy, so an unsalted hash cannot be reversed by guessing, and
  a stolen database grants no access.
* A signed-in browser holds its token in an ``HttpOnly``, ``SameSite=Lax`` cookie scoped to the
  session's path. Every form carries a CSRF token: an HMAC keyed with that secret token over the
  session and the form's purpose, so a page on another site can neither read nor forge it.
* Failed sign-ins (a join link or cookie whose token is unknown) are counted per client address;
  after too many in the window every sign-in attempt from that address is refused (HTTP 429)
  before its token is even checked.
* :class:`BodySizeLimit` refuses request bodies above a limit (declared or streamed: HTTP 413);
  :class:`SecurityHeaders` adds a strict Content-Security-Policy, a same-origin referrer policy
  (no URL of the room ever leaks to another site; a stricter ``no-referrer`` would make browsers
  send ``Origin: null`` on form posts and defeat the origin check), no framing, no sniffing and
  no caching.
* Uploaded scenario YAML is checked by :func:`check_yaml_text` before it is parsed: aliases
  (the "billion laughs" expansion) and absurd nesting are refused with the line they are on.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING

import yaml

from accord.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "MAX_YAML_DEPTH",
    "TOKEN_PATTERN",
    "BodySizeLimit",
    "RateLimiter",
    "SecurityHeaders",
    "check_csrf",
    "check_yaml_text",
    "csrf_token",
    "hash_token",
    "new_id",
    "new_token",
    "valid_token",
]

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MAX_YAML_DEPTH = 40


def new_token() -> str:
    """A fresh secret join token (256 random bits, URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A fresh public identifier for a session (72 random bits, 12 characters)."""
    return secrets.token_urlsafe(9)


def valid_token(token: str) -> bool:
    """True when ``token`` has the shape of a join token (checked before any lookup)."""
    return bool(TOKEN_PATTERN.match(token))


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def csrf_token(secret: str, purpose: str) -> str:
    """The CSRF token for one form: HMAC-SHA256 of ``purpose`` keyed with the caller's secret."""
    return hmac.new(secret.encode("utf-8"), purpose.encode("utf-8"), hashlib.sha256).hexdigest()


def check_csrf(secret: str, purpose: str, given: str) -> bool:
    """True when ``given`` is the CSRF token for ``purpose`` (constant-time comparison)."""
    return hmac.compare_digest(csrf_token(secret, purpose).encode(), given.encode("utf-8"))


class RateLimiter:
    """At most ``limit`` failures per ``window`` seconds per key (client address); thread-safe."""

    def __init__(self, limit: int = 10, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            times = self._prune(key, now)
            if len(times) < self.limit:
                return 0.0
            return max(times[0] + self.window - now, 0.001)

    def fail(self, key: str) -> None:
        """Record one failed attempt by ``key``."""
        now = time.monotonic()
        with self._lock:
            times = self._prune(key, now)
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)


class BodySizeLimit:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` with HTTP 413.

    A declared ``Content-Length`` above the limit is refused before the body is read; a body
    sent without one (chunked) is counted as it streams and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        body = f"request body too large (limit {self.max_bytes} bytes)".encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        seen = 0
        too_large = False
        started = False

        async def counted_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:  # whatever the app answers, the answer is 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if too_large and not started:
            await self._refuse(send)


class _TooLarge(Exception):
    """Raised inside the app's receive when the streamed body passes the limit."""


class SecurityHeaders:
    """ASGI middleware: security headers on every response (a response's own CSP is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cache-control", b"public, max-age=3600" if static else b"no-store"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def check_yaml_text(text: str, file: str) -> None:
    """Refuse YAML that uses aliases or nests deeper than :data:`MAX_YAML_DEPTH` (untrusted input).

    Scenario files need neither; both can make an innocent-looking upload expand without bound.
    Syntax errors are left for the scenario loader, which reports them with their line.
    """
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ScenarioError([Problem(
                    (), f"YAML aliases (*{event.anchor}) are not accepted in uploaded scenarios; "
                    "write the values out", line)], file)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise ScenarioError([Problem(
                        (), f"nested deeper than {MAX_YAML_DEPTH} levels; a scenario never is",
                        line)], file)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return
