"""Helpers for the crisis-room tests: read links and form tokens from pages, open sessions; the
server itself runs through :mod:`accord.web.local`."""

from __future__ import annotations

import re

import httpx

from accord.web.local import form_token, free_port, running_server, start_server

__all__ = ["csrf", "free_port", "links", "open_session", "running_server", "start_server"]

LINK = re.compile(r'<code class="link"[^>]*>([^<]+)</code>')


csrf = form_token  # the CSRF token of the form posting to a path ending


def links(html: str) -> tuple[str, dict[str, str]]:
    """(facilitator link, {team: link}) from the page shown after opening a session."""
    found = LINK.findall(html)
    teams = re.findall(r'<tr data-team="([^"]+)"><td>[^<]*</td><td><code class="link">([^<]+)',
                       html)
    return found[0], dict(teams)


def open_session(client: httpx.Client, teams: list[str], models: list[str] | None = None,
                 scenario: str = "korea-2020", name: str = "Exercise") -> tuple[str, str,
                                                                                dict[str, str]]:
    """Open a session through the forms; returns (session id, facilitator link, team links)."""
    home = client.get("/")
    step = client.post("/new", data={"csrf": csrf(home.text, "/new"), "name": name,
                                     "builtin": scenario})
    assert step.status_code == 200, step.text
    done = client.post("/sessions", data={
        "csrf": csrf(step.text, "/sessions"), "name": name, "builtin": scenario, "yaml": "",
        "source": "", "teams": teams, "models": models or ["mean", "median"]})
    assert done.status_code == 200, done.text
    facilitator, team_links = links(done.text)
    sid = re.search(r'href="/s/([^"]+)"', done.text)
    assert sid
    return sid.group(1), facilitator, team_links
