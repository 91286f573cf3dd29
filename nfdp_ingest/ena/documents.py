"""One ENA object as an XML element (ENA-FACTS §1): plain records in, lxml elements out.

Element order follows the XSDs (``xs:sequence`` everywhere but SAMPLE_NAME). Aliases are
our accessions; ``center_name`` goes on every object; a reference names the alias of an
object sent in the same document (``refname``), else the accession ENA gave it.
"""

from __future__ import annotations

import hashlib
from datetime import date

from lxml import etree

from ..domain.ena_sample import ena_attributes, ena_checklist_id
from .records import EnaRun, ExperimentRec, ProjectRec, SampleRec

E = etree.Element
SUB = etree.SubElement


def _text(parent, tag: str, value) -> etree._Element:
    child = SUB(parent, tag)
    child.text = str(value)
    return child


def _object(tag: str, alias: str, center: str | None) -> etree._Element:
    element = E(tag, alias=alias)
    if center:
        element.set("center_name", center)
    return element


def _ref(element: etree._Element, alias: str, accession: str | None, in_document: bool) -> None:
    if in_document or not accession:
        element.set("refname", alias)
    else:
        element.set("accession", accession)


def digest(element: etree._Element) -> str:
    """What an object says, to tell whether it changed since it was last sent (MODIFY)."""
    return hashlib.sha256(etree.tostring(element, method="c14n")).hexdigest()[:32]


def project(p: ProjectRec, center: str | None) -> etree._Element:
    el = _object("PROJECT", p.accession, center)
    _text(el, "TITLE", p.title)
    _text(el, "DESCRIPTION", p.description or p.title)
    SUB(SUB(el, "SUBMISSION_PROJECT"), "SEQUENCING_PROJECT")
    return el


def sample(s: SampleRec, center: str | None) -> etree._Element:
    el = _object("SAMPLE", s.accession, center)
    _text(el, "TITLE", s.alias)
    name = SUB(el, "SAMPLE_NAME")
    if s.tax_id is not None:
        _text(name, "TAXON_ID", s.tax_id)
    if s.organism:
        _text(name, "SCIENTIFIC_NAME", s.organism)
    attributes = SUB(el, "SAMPLE_ATTRIBUTES")
    checklist = s.checklist_id or ""
    for attribute in ena_attributes(s.fields, checklist):
        if attribute.tag == "ENA-CHECKLIST":
            continue  # written once, below, from the checklist itself
        item = SUB(attributes, "SAMPLE_ATTRIBUTE")
        _text(item, "TAG", attribute.tag)
        _text(item, "VALUE", attribute.value)
        if attribute.units:
            _text(item, "UNITS", attribute.units)
    ena_id = ena_checklist_id(checklist)
    if ena_id:
        item = SUB(attributes, "SAMPLE_ATTRIBUTE")
        _text(item, "TAG", "ENA-CHECKLIST")
        _text(item, "VALUE", ena_id)
    return el


def experiment(x: ExperimentRec, center: str | None, *, project_alias: str, project_accession: str | None,
               project_in_document: bool, sample_accession: str | None, sample_in_document: bool
               ) -> etree._Element:
    el = _object("EXPERIMENT", x.accession, center)
    _text(el, "TITLE", f"{x.instrument_model} {x.library_strategy} of {x.sample_accession}")
    _ref(SUB(el, "STUDY_REF"), project_alias, project_accession, project_in_document)
    design = SUB(el, "DESIGN")
    SUB(design, "DESIGN_DESCRIPTION")
    _ref(SUB(design, "SAMPLE_DESCRIPTOR"), x.sample_accession, sample_accession, sample_in_document)
    library = SUB(design, "LIBRARY_DESCRIPTOR")
    if x.library_name:
        _text(library, "LIBRARY_NAME", x.library_name)
    _text(library, "LIBRARY_STRATEGY", x.library_strategy)
    _text(library, "LIBRARY_SOURCE", x.library_source)
    _text(library, "LIBRARY_SELECTION", x.library_selection or "unspecified")  # the XSD requires one
    layout = SUB(library, "LIBRARY_LAYOUT")
    if (x.library_layout or "").upper() == "PAIRED":
        paired = SUB(layout, "PAIRED")
        if x.insert_size:
            paired.set("NOMINAL_LENGTH", str(int(x.insert_size)))
    else:
        SUB(layout, "SINGLE")
    platform = SUB(SUB(el, "PLATFORM"), x.platform)
    _text(platform, "INSTRUMENT_MODEL", x.instrument_model)
    return el


def run(r: EnaRun, center: str | None, *, experiment_accession: str | None,
        experiment_in_document: bool) -> etree._Element:
    el = _object("RUN", r.alias, center)
    _ref(SUB(el, "EXPERIMENT_REF"), r.experiment_accession, experiment_accession, experiment_in_document)
    files = SUB(SUB(el, "DATA_BLOCK"), "FILES")
    for f in r.files:
        SUB(files, "FILE", filename=f.upload_path, filetype=f.filetype, checksum_method="MD5",
            checksum=f.md5)
    return el


def submission(alias: str, center: str | None, action: str, hold_until: date | None) -> etree._Element:
    """ADD or MODIFY; HOLD until the release date when it is ahead, RELEASE when it has passed."""
    el = _object("SUBMISSION", alias, center)
    actions = SUB(el, "ACTIONS")
    SUB(SUB(actions, "ACTION"), action)
    if hold_until is not None:
        if hold_until > date.today():
            SUB(SUB(actions, "ACTION"), "HOLD", HoldUntilDate=hold_until.isoformat())
        else:
            SUB(SUB(actions, "ACTION"), "RELEASE")
    return el
