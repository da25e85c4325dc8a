"""The built-in Korea scenarios: complete, every number evidenced, citations real, no copied text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from accord import Scenario, load_scenario, run_model
from accord.scenario import Evidence, Param

from .conftest import SOURCES, need

KOREAS = ["korea-2020", "korea-2018"]
ACTORS = {"usa", "us_congress", "china", "dprk", "rok", "japan", "russia"}
ISSUES = [
    "denuclearization", "sanctions", "security_guarantees", "military_posture",
    "peace_regime", "economic_engagement", "negotiation_format", "contingency_cooperation",
]
LEVERS = {
    "four-nos", "multilateral-guarantee", "asset-transfer", "troop-pledge", "refugee-cost-sharing",
    "china-red-line", "china-stakeholder", "dual-freeze", "livelihood-relief", "peace-declaration",
    "yongbyon-deal", "contingency-plan", "one-voice", "hawk-shock",
}


def params(s: Scenario) -> Iterator[tuple[str, Param, tuple[Evidence, ...]]]:
    """Every numeric value with the evidence that covers it (a lever's covers its edits)."""
    for issue in s.issues:
        assert issue.status_quo is not None, f"{issue.id} has no status quo"
        yield f"issues.{issue.id}.status_quo", issue.status_quo, issue.status_quo.evidence
    for actor in s.actors:
        yield f"actors.{actor.id}.capability", actor.capability, actor.capability.evidence
        for kind in ("positions", "saliences"):
            for k, p in getattr(actor, kind).items():
                yield f"actors.{actor.id}.{kind}.{k}", p, p.evidence
    for lever in s.levers:
        for j, edit in enumerate(lever.edits):
            yield f"levers.{lever.id}.edits[{j}]", edit.value, edit.value.evidence + lever.evidence


def all_evidence(s: Scenario) -> Iterator[tuple[str, Evidence]]:
    for where, _, evidence in params(s):
        for ev in evidence:
            yield where, ev


def paragraphs(source_file: str) -> list[str]:
    text = (SOURCES / source_file).read_text(encoding="utf-8")
    return [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]


@pytest.mark.parametrize("name", KOREAS)
def test_actors_issues_levers(name: str) -> None:
    s = load_scenario(name)
    assert set(s.actor_ids) >= ACTORS
    assert list(s.issue_ids)[: len(ISSUES)] == ISSUES
    assert {lv.id for lv in s.levers} >= LEVERS
    for issue in s.issues:
        assert {0, 50, 100} <= set(issue.anchors), issue.id
    assert {src.id for src in s.sources} >= {"wang-2018", "wu-2017", "cato-2020", "cui-zhang-2020"}


@pytest.mark.parametrize("name", KOREAS)
def test_every_value_has_evidence(name: str) -> None:
    missing = [where for where, _, evidence in params(load_scenario(name)) if not evidence]
    assert not missing, f"values without evidence: {missing}"
    for where, ev in all_evidence(load_scenario(name)):
        assert ev.claim.strip() and ev.reasoning.strip(), where


@pytest.mark.parametrize("name", KOREAS)
def test_unsettled_values_carry_ranges(name: str) -> None:
    s = load_scenario(name)
    values = list(params(s))
    ranged = [p for _, p, _ in values if p.uncertain]
    assert len(ranged) >= len(values) // 3, f"only {len(ranged)} of {len(values)} values have a range"


@pytest.mark.parametrize("name", KOREAS)
def test_cited_paragraphs_exist(name: str) -> None:
    need(SOURCES)
    s = load_scenario(name)
    files = {src.id: src.file for src in s.sources}
    counts = {sid: len(paragraphs(f)) for sid, f in files.items() if f}
    bad = [
        f"{where}: {ev.source} ¶{ev.paragraph} (has {counts.get(ev.source)})"
        for where, ev in all_evidence(s)
        if ev.paragraph > counts.get(ev.source, 0)
    ]
    assert not bad, bad


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("name", KOREAS)
def test_claims_are_paraphrased_not_pasted(name: str) -> None:
    need(SOURCES)
    s = load_scenario(name)
    essay = set().union(*(_shingles((SOURCES / src.file).read_text()) for src in s.sources if src.file))
    copied = [
        (where, ev.claim)
        for where, ev in all_evidence(s)
        if _shingles(ev.claim) & essay or _shingles(ev.reasoning) & essay
    ]
    assert not copied, f"claims sharing 8 consecutive words with an essay: {copied[:5]}"


@pytest.mark.parametrize("name", KOREAS)
def test_every_lever_applies_to_known_targets_and_changes_something(name: str) -> None:
    s = load_scenario(name)
    for lever in s.levers:
        assert lever.evidence or all(e.value.evidence for e in lever.edits), lever.id
        for edit in lever.edits:
            if edit.actor is not None:
                s.actor(edit.actor)
            if edit.issue is not None:
                s.issue(edit.issue)


@pytest.mark.parametrize("name", KOREAS)
def test_models_run_on_korea(name: str) -> None:
    s = load_scenario(name)
    for model in ("mean", "median", "nash"):
        f = run_model(model, s)
        assert f.outcome.shape == (len(s.issues),)
