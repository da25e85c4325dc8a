"""Every code block in README.md and docs/ runs.

* ``python`` blocks run in order, one namespace per document, in a scratch folder;
* ``console``/``bash`` blocks: each ``$ command`` line (or each line of a ``bash`` block) runs in
  the same folder through bash and must exit 0, or 1 when the line ends with ``# exit 1``.
  ``pip install`` and ``pytest`` are skipped: CI runs exactly those;
* ``yaml`` blocks parse, and a block that is a whole scenario validates;
* ``text`` blocks are shown output, not code.
The scratch folder sits beside a link to ``shared/``, so ``../shared/...`` paths work as in a
checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from accord.scenario import load_scenario_text

from .conftest import REPO, SHARED

DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str]]:
    out = []
    for m in FENCE.finditer(path.read_text(encoding="utf-8")):
        indent = len(m.group(1))
        body = "\n".join(line[indent:] for line in m.group(3).splitlines())
        out.append((m.group(2), body))
    return out


def commands(lang: str, body: str) -> list[str]:
    if lang == "console":
        lines = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    else:
        lines = [line for line in body.splitlines() if line.strip() and not line.startswith("#")]
    result = []
    for line in lines:
        for part in line.split("&&"):
            part = part.strip()
            if not part.startswith(("pip install", "pytest")):
                result.append(part)
    return result


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    if SHARED.exists():
        (tmp_path / "shared").symlink_to(SHARED)
    return work


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_code_blocks_run(doc: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = blocks(doc)
    monkeypatch.chdir(scratch)
    namespace: dict[str, object] = {"__name__": "__doc__"}
    env = dict(os.environ, COLUMNS="160")
    for lang, body in found:
        if "../shared" in body and not SHARED.exists():
            continue
        if lang == "python":
            exec(compile(body, f"{doc.name}:python-block", "exec"), namespace)
        elif lang in ("console", "bash", "sh"):
            for cmd in commands(lang, body):
                expect = 1 if cmd.endswith("# exit 1") else 0
                done = subprocess.run(["bash", "-c", cmd], cwd=scratch, env=env,
                                      capture_output=True, text=True, timeout=120)
                assert done.returncode == expect, f"{doc.name}: `{cmd}` -> {done.returncode}\n{done.stderr}"
                assert "Traceback" not in done.stderr
        elif lang == "yaml":
            data = yaml.safe_load(body)
            if isinstance(data, dict) and {"id", "actors", "issues"} <= data.keys():
                load_scenario_text(body, f"{doc.name}:yaml-block")
        elif lang in ("text", ""):
            continue
        else:
            pytest.fail(f"{doc.name}: code block in unknown language '{lang}'")


def test_docs_have_code() -> None:
    assert sum(len(blocks(d)) for d in DOCS) > 15
