"""Shared fixtures of the files tests (the factories live in tests/fixtures_files.py)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # make `tests.fixtures_files` importable under any runner
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A files root (the sheet's folder) inside tmp_path, with an 'outside' sibling."""
    r = tmp_path / "root"
    r.mkdir()
    (tmp_path / "outside").mkdir()
    return r
