"""One test per vocabulary entry, plus the matching rules and the API helper."""

from __future__ import annotations

import json

import pytest

from nfdp_ingest.domain import vocabulary as vocab
from nfdp_ingest.domain.experiment import check_experiment as normalise_experiment_fields
from nfdp_ingest.domain.vocabulary import normalise
from nfdp_ingest.resources import sheets_dir

VOCAB_DIR = sheets_dir() / "vocabulary"


def _terms(name):
    return json.loads((VOCAB_DIR / f"{name}.json").read_text())["terms"]


PLATFORMS = json.loads((VOCAB_DIR / "platforms.json").read_text())["platforms"]
INSTRUMENTS = [(p, m) for p, models in PLATFORMS.items() for m in models]
COUNTRIES = json.loads((VOCAB_DIR / "countries.json").read_text())
ALL_COUNTRIES = COUNTRIES["countries"] + COUNTRIES["oceans_and_seas"] + COUNTRIES["historical"]


def _mangle(term: str) -> str:
    """What a person might type: other case, '_' for spaces, '-' dropped or doubled."""
    return term.lower().replace(" ", "_").replace("-", " ")


def test_vocabulary_sizes_match_ena():
    # the SRA XSD's lists (sra_vocabulary.json): 18 platforms, 105 instrument models counting each 'unspecified'
    assert len(PLATFORMS) == 18
    assert len(INSTRUMENTS) == 105
    assert len(_terms("library_strategy")) == 41
    assert len(_terms("library_source")) == 9
    assert len(_terms("library_selection")) == 31
    assert _terms("library_layout") == ["PAIRED", "SINGLE"]
    assert len(ALL_COUNTRIES) >= 280
    for name in ("Saudi Arabia", "Viet Nam", "Atlantic Ocean", "Red Sea", "USA", "Cote d'Ivoire"):
        assert name in ALL_COUNTRIES


@pytest.mark.parametrize("kind", ["platform", "instrument_model", "library_strategy", "library_source",
                                  "library_selection", "library_layout", "country", "missing_value"])
def test_no_two_terms_share_a_matching_key(kind):
    terms = vocab.get(kind).terms
    keys = [vocab.key(t) for t in terms]
    assert len(set(keys)) == len(keys), [t for t in terms if keys.count(vocab.key(t)) > 1]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_platform(platform):
    assert normalise("platform", platform) == (platform, False)
    assert normalise("platform", _mangle(platform)) == (platform, _mangle(platform) != platform)


@pytest.mark.parametrize("platform,model", INSTRUMENTS, ids=[f"{p}:{m}" for p, m in INSTRUMENTS])
def test_instrument(platform, model):
    assert normalise("instrument_model", model) == (model, False)
    assert normalise("instrument_model", _mangle(model))[0] == model
    assert vocab.instrument_problem(platform, model) is None
    if model == "unspecified":  # a model of every platform but BGISEQ
        assert platform in vocab.platform_for_instrument(model)
        assert "BGISEQ" not in vocab.platform_for_instrument(model)
        return
    assert vocab.platform_for_instrument(model) == (platform,)
    other = "LS454" if platform != "LS454" else "ILLUMINA"
    assert vocab.instrument_problem(other, model)


def test_bgiseq_has_no_unspecified_instrument():
    assert PLATFORMS["BGISEQ"] == ["BGISEQ-50", "BGISEQ-500", "MGISEQ-2000RS"]
    msg = vocab.instrument_problem("BGISEQ", "unspecified")
    assert msg and "not an instrument model of BGISEQ" in msg and "MGISEQ-2000RS" in msg
    out, errors, _ = normalise_experiment_fields({"platform": "BGISEQ", "instrument_model": "unspecified",
                                                  "library_strategy": "WGS", "library_layout": "PAIRED"})
    assert [(e["column"], e["value"]) for e in errors] == [("instrument_model", "unspecified")]
    _, errors, _ = normalise_experiment_fields({"platform": "DNBSEQ", "instrument_model": "unspecified",
                                                "library_strategy": "WGS", "library_layout": "PAIRED"})
    assert errors == []


def test_missing_values_include_the_eight_reasons():
    terms = _terms("missing_values")
    assert terms[:5] == ["missing", "not applicable", "not collected", "not provided", "restricted access"]
    reasons = [t for t in terms if t.startswith("missing: ")]
    assert len(reasons) == 8 and "missing: data agreement established pre-2023" in reasons
    assert normalise("missing_value", "Missing: Lab Stock") == ("missing: lab stock", True)


@pytest.mark.parametrize("kind", ["library_strategy", "library_source", "library_selection", "library_layout",
                                  "missing_value"])
def test_vocabulary_file_loads(kind):
    assert vocab.get(kind).terms


def _param(kind, name):
    return [pytest.param(kind, t, id=f"{kind}:{t}") for t in _terms(name)]


@pytest.mark.parametrize("kind,term", _param("library_strategy", "library_strategy")
                         + _param("library_source", "library_source")
                         + _param("library_selection", "library_selection")
                         + _param("library_layout", "library_layout")
                         + _param("missing_value", "missing_values"))
def test_term(kind, term):
    assert normalise(kind, term) == (term, False)
    mangled = _mangle(term)
    canon, corrected = normalise(kind, mangled)
    assert canon == term
    assert corrected == (mangled != term)
    assert normalise(kind, f"  {term} ") == (term, False)


@pytest.mark.parametrize("strategy", _terms("library_strategy"))
def test_every_strategy_has_a_usual_source(strategy):
    src = vocab.usual_source(strategy)
    assert src in _terms("library_source")
    assert vocab.unusual_source(strategy, src) is None


@pytest.mark.parametrize("country", ALL_COUNTRIES)
def test_country(country):
    assert normalise("country", country) == (country, False)
    assert normalise("country", country.upper())[0] == country


@pytest.mark.parametrize("kind,typo,expected", [
    ("platform", "Illumna", "ILLUMINA"), ("platform", "nanopore", "OXFORD_NANOPORE"),
    ("library_strategy", "WGSS", "WGS"), ("library_strategy", "RNAseqq", "RNA-Seq"),
    ("library_source", "GENOMICS", "GENOMIC"), ("instrument_model", "NovaSeq 6000", "Illumina NovaSeq 6000"),
    ("country", "Saudia Arabia", "Saudi Arabia"), ("country", "Saudi Arabien", "Saudi Arabia"),
])
def test_unknown_values_get_the_closest_suggestion(kind, typo, expected):
    assert normalise(kind, typo) == (None, False)
    assert vocab.suggest(kind, typo) == expected
    assert f"did you mean {expected}?" in vocab.get(kind).unknown_message(typo)


def test_unusual_pair_is_flagged():
    assert "unusual" in vocab.unusual_source("RNA-Seq", "GENOMIC")
    assert vocab.unusual_source("WGS", "GENOMIC") is None


# ---------------------------------------------------------------- API helper
def test_normalise_experiment_fields_corrects_and_derives():
    out, errors, warnings = normalise_experiment_fields({
        "sample_accession": "NFDP-SAM-000001", "platform": "illumina", "instrument_model": "illumina novaseq 6000",
        "library_strategy": "rna_seq", "library_layout": "paired", "insert_size": "350"})
    assert errors == []
    assert out["platform"] == "ILLUMINA"
    assert out["instrument_model"] == "Illumina NovaSeq 6000"
    assert out["library_strategy"] == "RNA-Seq"
    assert out["library_source"] == "TRANSCRIPTOMIC"  # derived
    assert out["library_selection"] == "unspecified"  # derived
    assert out["library_layout"] == "PAIRED"
    assert out["insert_size"] == 350
    assert out["sample_accession"] == "NFDP-SAM-000001"
    cols = {w["column"] for w in warnings}
    assert {"platform", "library_strategy", "library_source", "library_selection"} <= cols


def test_normalise_experiment_fields_same_as_sheet_for_canonical_input():
    fields = {"platform": "ILLUMINA", "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
              "library_source": "GENOMIC", "library_selection": "RANDOM", "library_layout": "PAIRED",
              "insert_size": 350}
    out, errors, warnings = normalise_experiment_fields(fields)
    assert errors == [] and warnings == []
    assert {k: out[k] for k in fields} == fields


@pytest.mark.parametrize("fields,column,needle", [
    ({"platform": "Illumna", "instrument_model": "unspecified", "library_strategy": "WGS",
      "library_layout": "SINGLE"}, "platform", "did you mean ILLUMINA?"),
    ({"platform": "ILLUMINA", "instrument_model": "MinION", "library_strategy": "WGS",
      "library_layout": "SINGLE"}, "instrument_model", "OXFORD_NANOPORE"),
    ({"instrument_model": "unspecified", "library_strategy": "WGS", "library_layout": "SINGLE"},
     "platform", "required when instrument_model is 'unspecified'"),
    ({"platform": "ILLUMINA", "library_strategy": "WGS", "library_layout": "SINGLE"},
     "instrument_model", "required"),
    ({"platform": "ILLUMINA", "instrument_model": "unspecified", "library_layout": "SINGLE"},
     "library_strategy", "required"),
    ({"platform": "ILLUMINA", "instrument_model": "unspecified", "library_strategy": "WGS"},
     "library_layout", "required"),
    ({"platform": "ILLUMINA", "instrument_model": "unspecified", "library_strategy": "WGS",
      "library_layout": "PAIRED", "insert_size": -3}, "insert_size", "positive"),
    ({"platform": 7, "instrument_model": "unspecified", "library_strategy": "WGS", "library_layout": "PAIRED"},
     "platform", "not text"),
])
def test_normalise_experiment_fields_errors_name_the_field(fields, column, needle):
    _, errors, _ = normalise_experiment_fields(fields)
    assert any(e["column"] == column and needle in e["message"] for e in errors), errors


def test_platform_derived_from_instrument_in_api_helper():
    out, errors, warnings = normalise_experiment_fields(
        {"instrument_model": "MinION", "library_strategy": "WGS", "library_layout": "SINGLE"})
    assert errors == []
    assert out["platform"] == "OXFORD_NANOPORE"
    assert any(w["column"] == "platform" for w in warnings)


def test_country_without_space_is_corrected():
    assert normalise("country", "Vietnam") == ("Viet Nam", True)
