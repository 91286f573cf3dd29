"""The wheel carries the data the code reads: checklists, vocabularies, QC thresholds, templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_brings_checklists_vocabularies_and_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("nfdp_ingest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "nfdp_ingest/_data/"
    shipped = list((REPO / "sheets" / "checklists").rglob("*.json"))
    assert len([c for c in shipped if c.parent.name == "ena"]) == 6  # ENA's own checklists, in a folder
    for checklist in shipped:
        rel = checklist.relative_to(REPO / "sheets" / "checklists").as_posix()
        assert f"{data}sheets/checklists/{rel}" in names
    for vocabulary in (REPO / "sheets" / "vocabulary").glob("*.json"):
        assert f"{data}sheets/vocabulary/{vocabulary.name}" in names
    assert f"{data}sheets/qc_thresholds.toml" in names
    for template in (REPO / "templates").glob("*.j2"):
        assert f"{data}templates/{template.name}" in names
    assert "nfdp_ingest/registry/migrations/versions/0002_order_lists_by_accession_number.py" in names
    for xsd in (REPO / "nfdp_ingest" / "ena" / "xsd").iterdir():  # `ena validate` needs ENA's schemas
        assert f"nfdp_ingest/ena/xsd/{xsd.name}" in names
    pages = REPO / "nfdp_ingest" / "pages"  # the HTML pages' templates and stylesheet
    for shipped_file in [*(pages / "templates").glob("*.html"), pages / "static" / "pages.css"]:
        assert shipped_file.relative_to(REPO).as_posix() in names
    assert not any("examples/demo" in n for n in names)  # what `make demo` generates stays out
