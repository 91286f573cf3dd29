from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "sheets"


@pytest.fixture
def data_dir() -> Path:
    return DATA


def problem_matches(problems: list[dict], line, column, text) -> bool:
    return any(p["row"] == line and p["column"] == column and text in p["message"] for p in problems)
