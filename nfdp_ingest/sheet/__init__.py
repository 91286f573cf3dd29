"""Sample sheets: load (CSV/TSV/XLSX), validate against a checklist, report.

The public interface other areas build on::

    from nfdp_ingest.sheet import validate_sheet, SheetReport, SheetRow, SheetFile
    from nfdp_ingest.sheet import list_checklists, get_checklist
"""

from ..domain.checklists import Checklist, Field, get_checklist, list_checklists
from .report import SheetFile, SheetReport, SheetRow
from .validate import validate_sheet

__all__ = [
           "Checklist",
           "Field",
           "SheetFile",
           "SheetReport",
           "SheetRow",
           "get_checklist",
           "list_checklists",
           "validate_sheet",
]
