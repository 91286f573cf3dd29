"""The result of validating a sheet, and its text / JSON / HTML renderings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .rows import RowColumns, SheetFile, SheetRow, build_rows

__all__ = ["SheetFile", "SheetReport", "SheetRow"]

HTML_ROW_LIMIT = 5000  # above this the HTML lists only rows with problems


@dataclass
class SheetReport:
    path: str
    checklist: str
    valid: bool
    errors: list[dict]
    warnings: list[dict]
    headers: list[str] = field(default_factory=list)
    required_fields: list[str] = field(default_factory=list)
    total_rows: int = 0
    format: str | None = None
    # the sheet as read (str or None per cell) and each row's line, for cell views
    table: Mapping[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    lines: tuple[int, ...] = field(default=(), repr=False, compare=False)
    # what the parsed rows are built from (None: no rows)
    row_columns: RowColumns | None = field(default=None, repr=False, compare=False)

    @cached_property
    def rows(self) -> list[SheetRow]:
        """The parsed rows, built on first use (``validate`` alone never needs them)."""
        return build_rows(self.row_columns) if self.row_columns is not None else []

    # ------------------------------------------------------------------ #
    @property
    def sheet_errors(self) -> list[dict]:
        return [e for e in self.errors if e.get("row") is None]

    @property
    def sheet_warnings(self) -> list[dict]:
        return [w for w in self.warnings if w.get("row") is None]

    def _by_line(self, problems: list[dict]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for p in problems:
            if p.get("row") is not None:
                out.setdefault(p["row"], []).append(p)
        return out

    def row_views(self, only_problems: bool = False, limit: int | None = None) -> list[dict]:
        """One dict per row: row_num, sample_alias, cells, errors, warnings."""
        errs = self._by_line(self.errors)
        warns = self._by_line(self.warnings)
        required = set(self.required_fields) | {"sample_alias"}
        headers = [h for h in self.headers if h in self.table]
        cols = [self.table[h] for h in headers]
        out = []
        for i, line in enumerate(self.lines):
            re_, rw = errs.get(line, []), warns.get(line, [])
            if only_problems and not re_ and not rw:
                continue
            if limit is not None and len(out) >= limit:
                break
            cell_err: dict[str, list[str]] = {}
            for e in re_:
                if e.get("column"):
                    cell_err.setdefault(e["column"], []).append(e["message"])
            cell_warn: dict[str, list[str]] = {}
            for w in rw:
                if w.get("column"):
                    cell_warn.setdefault(w["column"], []).append(w["message"])
            cells = {}
            for h, col in zip(headers, cols):
                value = col[i]
                if h in cell_err:
                    status = "missing_required" if value is None else "invalid"
                    cell = {"value": value, "status": status, "message": "; ".join(cell_err[h])}
                elif value is None:
                    cell = {"value": None, "status": "missing_required" if h in required else "empty_optional"}
                else:
                    cell = {"value": value, "status": "ok"}
                if h in cell_warn:
                    cell["warning"] = "; ".join(cell_warn[h])
                    if "message" not in cell:
                        cell["message"] = cell["warning"]
                cells[h] = cell
            alias = self.table.get("sample_alias", [None] * (i + 1))[i] if "sample_alias" in self.table else None
            out.append({"row_num": line, "sample_alias": alias, "cells": cells,
                        "errors": re_, "warnings": rw})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "valid": self.valid,
            "checklist": self.checklist,
            "format": self.format,
            "total_rows": self.total_rows,
            "headers": list(self.headers),
            "required_fields": list(self.required_fields),
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "errors": self.sheet_errors,
            "warnings": self.sheet_warnings,
            "all_errors": list(self.errors),
            "all_warnings": list(self.warnings),
            "rows": self.row_views(),
        }

    def summary(self) -> str:
        state = "valid" if self.valid else "INVALID"
        return (f"{self.path}: {state} ({self.checklist}) — {self.total_rows} rows, "
                f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}, "
                f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}")

    @staticmethod
    def problem_line(p: dict) -> str:
        where = []
        if p.get("row") is not None:
            where.append(f"line {p['row']}")
        if p.get("column"):
            where.append(f"column {p['column']}")
        prefix = ", ".join(where)
        return f"{prefix}: {p['message']}" if prefix else p["message"]

    def to_text(self) -> str:
        out = [self.summary()]
        if self.errors:
            out.append("errors:")
            out.extend("  " + self.problem_line(e) for e in self.errors)
        if self.warnings:
            out.append("warnings:")
            out.extend("  " + self.problem_line(w) for w in self.warnings)
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        from .html import render_report
        return render_report(self)
