"""ENA's SRA XML schemas, loaded once each by their real file path.

The schemas import ``SRA.common.xsd`` by relative path, so they must be loaded from a folder
holding all of them (ENA-FACTS §5, quirk 1). The package ships ENA's own files unchanged
(``ena/xsd/``, Apache-2.0, see its NOTICE); ``NFDP_ENA_XSD_DIR`` may point at another copy.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from lxml import etree

from ..errors import UsageError

SHIPPED = Path(__file__).resolve().parent / "xsd"
FILES = {
    "submission": "SRA.submission.xsd", "project": "ENA.project.xsd", "sample": "SRA.sample.xsd",
    "experiment": "SRA.experiment.xsd", "run": "SRA.run.xsd",
}


def xsd_dir() -> Path:
    return Path(os.environ["NFDP_ENA_XSD_DIR"]) if os.environ.get("NFDP_ENA_XSD_DIR") else SHIPPED


@cache
def _load(path: str) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(etree.parse(path))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise UsageError(f"cannot load the ENA schema {path}: {exc}") from None


def schema(kind: str, folder: Path | None = None) -> etree.XMLSchema:
    return _load(str((folder or xsd_dir()) / FILES[kind]))
