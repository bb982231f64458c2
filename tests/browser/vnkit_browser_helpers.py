"""Helpers of the browser tests (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots of every run (gitignored); VNKIT_UPDATE_SCREENSHOT=1 copies one to docs/.
ARTIFACTS = ROOT / "test-artifacts"


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
