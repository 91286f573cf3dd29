"""The state one sheet is built with: options, file references, ids and endedness seen so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import InvalidInput
from .cells import IdProblem, Refs, sheet_id
from .units import Unit


class SheetError(InvalidInput):
    """The scope cannot be written as this pipeline's sheet (a message the user can act on)."""


class Skip(Exception):
    """This unit's runs cannot go into the sheet; ``code`` is short, ``reason`` for people."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Context:
    pipeline: str
    refs: Refs
    numeric_ids: str = "prefix"  # prefix | refuse
    _ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (column, id) → sample accession
    _ended: dict[str, tuple[str, str]] = field(default_factory=dict)  # sample → (kind, first run)
    _sheet_ended: tuple[str, str] | None = None

    def ref(self, run) -> str:
        value = self.refs.of(run)
        if value is None:
            raise Skip("file-path", f"its stored path {run['file_path']!r} cannot be given as a "
                       f"{self.refs.mode} reference")
        return value

    def ident(self, column: str, raw: str, owner: str, *, word_only: bool = False, what: str = "sample") -> str:
        """A sheet id for ``raw`` (a sample alias …), unique per owner (sample accession)."""
        try:
            value = sheet_id(raw, numeric=self.numeric_ids, word_only=word_only)
        except IdProblem as exc:
            raise SheetError(f"{self.pipeline}: the {column} of {what} {owner} {exc} "
                             f"(the column is typed string in the pipeline's schema)") from None
        seen = self._ids.setdefault((column, value), owner)
        if seen != owner:
            raise SheetError(f"{self.pipeline}: {what}s {seen} and {owner} both become {column} "
                             f"{value!r} in the sheet; give them aliases that differ in more than "
                             f"blanks or punctuation")
        return value

    def same_per_sample(self, unit: Unit, kind: str, rule: str) -> None:
        """Rows of one sample must all be single-end or all paired (``rule`` says who requires it)."""
        sample = unit.first["sample_accession"]
        first = self._ended.setdefault(sample, (kind, unit.first["accession"]))
        if first[0] != kind:
            raise SheetError(
                f"{self.pipeline}: sample {sample} ({unit.first['sample_alias']}) mixes single-end and "
                f"paired-end runs ({first[1]} is {first[0]}, {unit.first['accession']} is {kind}); "
                f"{rule}. Export its experiments separately.")

    def same_per_sheet(self, unit: Unit, kind: str, flag: str) -> None:
        """The whole sheet single-end or paired (mag, ampliseq: ``flag`` switches the pipeline)."""
        if self._sheet_ended is None:
            self._sheet_ended = (kind, unit.first["accession"])
        elif self._sheet_ended[0] != kind:
            first_kind, first_run = self._sheet_ended
            raise SheetError(
                f"{self.pipeline} takes single-end reads only when the whole sheet is single-end "
                f"(run it with {flag}): run {first_run} is {first_kind} but {unit.first['accession']} "
                f"is {kind}. Export the single-end and paired experiments as separate sheets.")

    @property
    def single_end_sheet(self) -> bool:
        return self._sheet_ended is not None and self._sheet_ended[0] == "single-end"
