"""Shared test helpers: where the reference data live, and small scenario factories."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
SOURCES = SHARED / "sources"
EXAMPLE = REPO / "src" / "accord" / "scenarios" / "example-trade.yaml"


def need(path: Path) -> Path:
    """``path`` if it exists, else skip the test saying what is missing."""
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/ sits beside the repository in CI)")
    return path


CliResult = tuple[int, str, str]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``accord ARGS`` in-process: returns (exit code, stdout, stderr)."""
    from accord.cli import main

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["accord", *args])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        got = capsys.readouterr()
        return code, got.out, got.err

    return run
