"""Read a sample sheet (CSV, TSV or XLSX) into a frame of strings.

Everything is read as text: nothing is cast here (``"2"`` stays ``"2"``), so
type checks later see what the submitter wrote. Every row keeps the line
number a person sees in an editor (or the row number in Excel).

Problems with the *content* are returned as errors/warnings on the loaded
sheet; only an unusable *file* (missing, unreadable, empty, binary, not a
spreadsheet) raises :class:`~nfdp_ingest.errors.UsageError`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .xlsx import workbook_rows

TEXT_EXTS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
XLSX_EXTS = {".xlsx", ".xlsm"}
_DELIM_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons"}
_CHECKLIST_COMMENT = re.compile(r"^#\s*checklist\s*[:=]\s*([A-Za-z0-9_.\-]+)", re.IGNORECASE)
_HEADER_SEP = re.compile(r"[\s\-]+")
_SKIP_LINE = re.compile(r"^[^\S\n]*(?:#|$)", re.MULTILINE)  # a blank or comment line
_SKIP_AFTER_FIRST = re.compile(r"\n[^\S\n]*(?:#|\n|$)")  # the same, after the first line (fast scan)

csv.field_size_limit(1 << 24)


@dataclass
class LoadedSheet:
    path: str
    format: str  # csv | tsv | xlsx
    headers: list[str]  # normalised, in file order, duplicates and blanks removed
    frame: pd.DataFrame  # one str column per header; missing cells are NA
    lines: np.ndarray  # line number of each row
    columns: Mapping[str, tuple] = field(default_factory=dict)  # the same cells as tuples (None = empty)
    header_line: int = 1
    declared_checklist: str | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


@dataclass
class _Read:
    """What a reader got from the file, before headers and rows are made sense of."""

    format: str  # csv | tsv | xlsx
    records: list[tuple[int, list[str]]] | None = None  # (line, cells) per record, or:
    frame: pd.DataFrame | None = None  # the fast path's cells (column k = position k) ...
    lines: np.ndarray | None = None  # ... and each frame row's line
    declared: str | None = None  # the checklist a '# checklist:' line names
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def declared_checklist(line: str) -> str | None:
    """The checklist ID a comment line such as ``# checklist: ERC000055`` names, else None."""
    m = _CHECKLIST_COMMENT.match(line.strip())
    return m.group(1) if m else None


def normalise_header(name: str) -> str:
    name = name.replace("\ufeff", "").strip().lower()
    name = _HEADER_SEP.sub("_", name)
    return re.sub(r"_+", "_", name).strip("_")


def _problem(line, column, value, message) -> dict:
    return {"row": line, "column": column, "value": value, "message": message}


def read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise UsageError(f"{path} is a folder, not a sample sheet")
        return path.read_bytes()
    except UsageError:
        raise
    except FileNotFoundError:
        raise UsageError(f"sample sheet {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read sample sheet {path}: {exc.strerror or exc}") from None


def load_sheet(path: str | Path) -> LoadedSheet:
    path = Path(path)
    data = read_bytes(path)
    if not data.strip():
        raise UsageError(f"sample sheet {path} is empty")
    ext = path.suffix.lower()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UsageError(f"{path} is an old Excel .xls workbook: save it as .xlsx, CSV or TSV")
    if data[:4] == b"PK\x03\x04" or ext in XLSX_EXTS:
        return _build(path, _read_xlsx(path, data))
    return _build(path, _read_text(path, data, ext))


# --------------------------------------------------------------------------- #
# text                                                                         #
# --------------------------------------------------------------------------- #

def _decode(path: Path, data: bytes) -> tuple[str, list[dict]]:
    warnings: list[dict] = []
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), warnings
        except UnicodeDecodeError:
            raise UsageError(f"{path} starts like UTF-16 text but cannot be decoded") from None
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if b"\x00" in data:
        raise UsageError(f"{path} is not a text sheet (it contains binary data); "
                         "use CSV, TSV or XLSX")
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warnings.append(_problem(
            line, None, None,
            "the file is not UTF-8 (first non-UTF-8 byte on this line); it was read as "
            "Windows-1252 (cp1252): check accented characters, or save the sheet as UTF-8"))
        text = data.decode("cp1252", errors="replace")
        undefined = text.find("\ufffd")  # 0x81, 0x8D, 0x8F, 0x90 and 0x9D are no character in cp1252
        if undefined >= 0:
            count = text.count("\ufffd")
            warnings.append(_problem(
                text.count("\n", 0, undefined) + 1, None, None,
                f"{count} byte{'s are' if count > 1 else ' is'} no character in Windows-1252 either (first on this "
                "line); each was read as U+FFFD '\ufffd': save the sheet as UTF-8"))
        return text, warnings


def _split_count(line: str, delim: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delim)))
    except (csv.Error, StopIteration):
        return line.count(delim) + 1


def _read_text(path: Path, data: bytes, ext: str) -> _Read:
    text, warnings = _decode(path, data)
    # line numbers as an editor counts them: \r\n, \n and a lone \r each end a line
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = text.rstrip("\n")
    # leading blank / comment lines (a TSV template's '# checklist:' line, the only place it counts)
    pos, first_no, declared = 0, 1, None
    while pos < len(body) and _SKIP_LINE.match(body, pos):
        end = body.find("\n", pos)
        end = len(body) if end < 0 else end
        if declared is None:
            declared = declared_checklist(body[pos:end])
        pos, first_no = end + 1, first_no + 1
    rest = body[pos:]
    if rest and _SKIP_AFTER_FIRST.search(rest) is None:
        # every remaining line is a record line: no Python loop over lines
        n = rest.count("\n") + 1
        cut = rest.find("\n")
        header = rest if cut < 0 else rest[:cut]
        delim, fmt, delim_note = _delimiter(header, ext, first_no)
        fast = _read_fast(rest, header, delim)
        if fast is not None and len(fast) == n:
            return _Read(fmt, frame=fast, lines=np.arange(first_no, first_no + n, dtype=np.int64),
                         declared=declared, warnings=warnings + _listed(delim_note))
    kept: list[str] = []
    kept_no: list[int] = []
    for no, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and stripped[0] != "#":
            kept.append(line)
            kept_no.append(no)
    if not kept:
        raise UsageError(f"sample sheet {path} is empty (no header line)")
    delim, fmt, delim_note = _delimiter(kept[0], ext, kept_no[0])
    warnings += _listed(delim_note)

    fast = _read_fast("\n".join(kept), kept[0], delim)
    if fast is not None and len(fast) == len(kept):
        return _Read(fmt, frame=fast, lines=np.asarray(kept_no, dtype=np.int64), declared=declared,
                     warnings=warnings)

    # slow path: quoted values spanning lines, ragged rows, odd quoting
    read = _Read(fmt, records=[], declared=declared, warnings=warnings)
    reader = csv.reader([ln + "\n" for ln in kept], delimiter=delim, quotechar='"', strict=False)
    prev = 0
    try:
        for rec in reader:
            read.records.append((kept_no[prev], rec))
            prev = reader.line_num
    except csv.Error as exc:
        line = kept_no[min(prev, len(kept_no) - 1)]
        read.errors.append(_problem(line, None, None, f"cannot parse this line: {exc}; the rest of the file was ignored"))
    if not read.records:
        raise UsageError(f"sample sheet {path} has no readable header line")
    return read


def _listed(problem: dict | None) -> list[dict]:
    return [problem] if problem else []


def _delimiter(header: str, ext: str, header_line: int):
    """(delimiter, format, wrong-delimiter warning or None): from the extension, else sniffed."""
    counts = {d: _split_count(header, d) for d in (",", "\t", ";")}
    sniffed = max(counts, key=lambda d: counts[d])
    expected = TEXT_EXTS.get(ext)
    note = None
    if expected is None:
        delim = sniffed if counts[sniffed] > 1 else ","
    elif counts[expected] == 1 and counts[sniffed] > 1:
        delim = sniffed
        note = _problem(
            header_line, None, None,
            f"wrong delimiter: the file is named {ext} but its columns are separated by "
            f"{_DELIM_NAMES[sniffed]}, not {_DELIM_NAMES[expected]}; it was read as "
            f"{_DELIM_NAMES[sniffed]}-separated (rename or re-save the file)")
    else:
        delim = expected
    return delim, ("tsv" if delim == "\t" else "csv"), note


def _read_fast(body: str, header: str, delim: str) -> pd.DataFrame | None:
    """pyarrow's CSV reader over the kept lines, every value as text.

    None when a record does not map to exactly one line or a row is ragged: the
    csv-module path then reads (and reports) it.
    """
    width = _split_count(header, delim)
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [str(k) for k in range(width)]
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8", errors="surrogatepass")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                              newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        frame = table.to_pandas()
    except Exception:  # noqa: BLE001  # ragged rows, odd quoting, no pyarrow: the csv module path reports them
        return None
    frame.columns = range(width)
    return frame


def _read_xlsx(path: Path, data: bytes) -> _Read:
    records: list[tuple[int, list[str]]] = []
    declared = None
    for no, cells in workbook_rows(path, data):
        first = cells[0].strip() if cells else ""
        if first.startswith("#"):  # a comment row; above the header it may name the checklist
            if not records and declared is None:
                declared = declared_checklist(first)
            continue
        records.append((no, cells))
    if not records:
        raise UsageError(f"sample sheet {path} is empty (no header row)")
    return _Read("xlsx", records=records, declared=declared)


# --------------------------------------------------------------------------- #
# frame                                                                        #
# --------------------------------------------------------------------------- #

class ColumnLists(Mapping):
    """The sheet's columns as tuples of str (None = empty cell), made on first use."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self._cache: dict[str, list] = {}

    def __getitem__(self, name: str) -> tuple:
        got = self._cache.get(name)
        if got is None:
            if name not in self._frame.columns:
                raise KeyError(name)
            # a tuple of str/None: the cycle collector stops visiting it after one pass (a list it walks every time)
            got = self._cache[name] = tuple(self._frame[name].to_numpy(dtype=object, na_value=None).tolist())
        return got

    def __contains__(self, name) -> bool:
        return name in self._frame.columns

    def __iter__(self):
        return iter(self._frame.columns)

    def __len__(self) -> int:
        return len(self._frame.columns)


def _records_frame(records: list[tuple[int, list[str]]]) -> tuple[pd.DataFrame, np.ndarray]:
    width = max(len(r) for _, r in records)
    cols = [[] for _ in range(width)]
    for _, rec in records:
        n = len(rec)
        for k in range(width):
            cols[k].append(rec[k] if k < n else "")
    frame = pd.DataFrame({k: pd.Series(c, dtype="str") for k, c in enumerate(cols)})
    lines = np.fromiter((no for no, _ in records), dtype=np.int64, count=len(records))
    return frame, lines


def _build(path: Path, read: _Read) -> LoadedSheet:
    if read.records is not None:
        raw, lines = _records_frame(read.records)
    else:
        raw, lines = read.frame, read.lines
    errors, warnings = read.errors, read.warnings
    raw.columns = range(raw.shape[1])
    stripped = {k: raw[k].astype("str").str.strip() for k in raw.columns}
    n_raw = len(raw)
    header_line = int(lines[0])
    raw_header = [stripped[k].iat[0] for k in raw.columns]
    if read.records is not None:
        raw_header = raw_header[:len(read.records[0][1])]
    # drop the header and body rows that are empty in every column (",,,," lines)
    body_mask = np.zeros(len(raw), dtype=bool)
    for k in raw.columns:
        body_mask |= (stripped[k] != "").to_numpy(dtype=bool)
    body_mask[0] = False
    body_idx = np.flatnonzero(body_mask)
    body_lines = lines[body_idx]
    # trailing headerless columns that are empty everywhere (Excel) are not a column at all
    width = len(raw_header)
    while width and not raw_header[width - 1]:
        if (stripped[width - 1].iloc[body_idx] != "").any():
            break
        width -= 1

    headers: list[str] = []
    positions: list[int] = []
    seen: dict[str, int] = {}
    for pos in range(width):
        name = normalise_header(raw_header[pos])
        if not name:
            warnings.append(_problem(header_line, None, None,
                                     f"column {pos + 1} has no header; its values are ignored"))
            continue
        if name in seen:
            errors.append(_problem(header_line, name, raw_header[pos],
                                   f"duplicate column {name!r}: columns {seen[name] + 1} and {pos + 1} "
                                   "have the same header (after normalisation); only the first is read"))
            continue
        seen[name] = pos
        headers.append(name)
        positions.append(pos)
    # values beyond the header (ragged rows)
    if read.records is not None:
        hw = len(raw_header)
        for no, rec in read.records[1:]:
            if len(rec) > hw:
                extra = [v for v in rec[hw:] if v.strip()]
                if extra:
                    errors.append(_problem(no, None, extra[0][:200],
                                           f"this line has {len(rec)} values but the header has {hw} columns "
                                           "(a stray delimiter or an unquoted value?)"))
    index = pd.RangeIndex(len(body_idx))
    contiguous = len(body_idx) == n_raw - 1
    data = {}
    for name, pos in zip(headers, positions):
        s = stripped[pos].iloc[1:] if contiguous else stripped[pos].iloc[body_idx]
        s = s.where(s != "")
        s.index = index
        data[name] = s
    frame = pd.DataFrame(data, index=index) if data else pd.DataFrame(index=index)
    return LoadedSheet(path=str(path), format=read.format, headers=headers, frame=frame, lines=body_lines,
                       columns=ColumnLists(frame), header_line=header_line, declared_checklist=read.declared,
                       errors=errors, warnings=warnings)
