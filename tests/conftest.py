"""Shared test helpers: where the reference data live, and small scenario factories."""

from __future__ import annotations

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
