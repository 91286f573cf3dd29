"""Read the first worksheet of an .xlsx workbook as rows of text cells.

Cells become the text a person sees (whole numbers without ``.0``, dates as
ISO dates); a workbook openpyxl cannot read is a :class:`UsageError`.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path

from ..errors import UsageError


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if hasattr(v, "isoformat"):
        if isinstance(v, _dt.datetime) and v.time() == _dt.time(0):
            return v.date().isoformat()
        return v.isoformat()
    return str(v)


def workbook_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) for every non-empty row of the first worksheet."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover
        raise UsageError("reading .xlsx needs openpyxl") from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, EOFError) as exc:
        raise UsageError(f"{path} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001  # openpyxl raises many kinds on corrupt workbooks
        raise UsageError(f"{path} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise UsageError(f"{path} has no worksheet")
        rows: list[tuple[int, list[str]]] = []
        try:
            for no, row in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in row]
                if any(c.strip() for c in cells):
                    rows.append((no, cells))
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise UsageError(f"{path} is not a readable .xlsx workbook ({type(exc).__name__})") from None
    finally:
        wb.close()
    return rows
