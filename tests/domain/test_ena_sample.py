"""The interface the ENA export builds on: ena_checklist_id, ena_attributes, check_ena_sample — and that the
sheet validator and check_ena_sample say the same thing about the same value (one implementation of the rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from nfdp_ingest.domain.ena_checklists import EnaField, ena_checklists
from nfdp_ingest.domain.ena_rules import check_value, split_units
from nfdp_ingest.domain.ena_sample import (
    EnaAttribute,
    check_ena_sample,
    ena_attributes,
    ena_checklist_id,
)
from nfdp_ingest.errors import UsageError

LIVESTOCK = {"organism": "Camelus dromedarius", "tax_id": 9838, "collection_date": "2023-09-01",
             "geographic_location": "Saudi Arabia:Al Ahsa", "breed": "Majaheem", "host": "Camelus dromedarius",
             "tissue": "blood", "sex": "female", "developmental_stage": "adult"}


def test_checklist_ids_brokered():
    for cid in ("ERC000011", "ERC000020", "ERC000028", "ERC000033", "ERC000043", "ERC000055"):
        assert ena_checklist_id(cid) == cid
    assert ena_checklist_id("erc000055") == "ERC000055"
    assert ena_checklist_id("nfdp_livestock") == "ERC000055"
    assert ena_checklist_id("snpchip_livestock") is None
    with pytest.raises(UsageError, match="unknown checklist"):
        ena_checklist_id("ERC999999")


def test_the_six_checklists_are_enas():
    table = ena_checklists()
    assert {k: (v.title, len(v.fields)) for k, v in table.items()} == {
        "ERC000011": ("ENA default sample checklist", 30),
        "ERC000020": ("GSC MIxS plant associated", 125),
        "ERC000028": ("ENA prokaryotic pathogen minimal sample checklist", 20),
        "ERC000033": ("ENA virus pathogen reporting standard checklist", 36),
        "ERC000043": ("ENA Marine Microalgae Checklist", 20),
        "ERC000055": ("GSC MIxS agriculture", 177)}
    for cl in table.values():  # since 2023, in every checklist
        assert {"collection date", "geographic location (country and/or sea)"} <= set(cl.mandatory)


def test_attributes_of_a_livestock_sample_under_enas_names_in_checklist_order():
    attrs = ena_attributes({**LIVESTOCK, "depth": "30 mm", "host age": "4"}, "nfdp_livestock")
    assert attrs == [
        EnaAttribute("collection date", "2023-09-01", None),
        EnaAttribute("geographic location (region and locality)", "Al Ahsa", None),
        EnaAttribute("geographic location (country and/or sea)", "Saudi Arabia", None),
        EnaAttribute("host age", "4", "years"),  # the one unit ENA lists for the field
        EnaAttribute("host scientific name", "Camelus dromedarius", None),
        EnaAttribute("depth", "30", "mm"),
        # not fields of ERC000055: plain attributes, in the order given
        EnaAttribute("breed", "Majaheem", None),
        EnaAttribute("tissue_type", "blood", None),
        EnaAttribute("sex", "female", None),
        EnaAttribute("dev_stage", "adult", None),
    ]
    order = [f.name for f in ena_checklists()["ERC000055"].fields]
    tags = [a.tag for a in attrs[:6]]
    assert tags == sorted(tags, key=order.index)


def test_attributes_accept_ena_names_headers_and_separate_units():
    fields = {"collection date": "2024", "geographic_location_(country_and/or_sea)": "Saudi Arabia",
              "Strain": "RS1", "water temperature": "25", "water temperature units": "ºC",
              "geographic_location_(latitude)": "21.5", "note": "kept", "organism": "x", "tax_id": 1,
              "empty": "", "none": None}
    attrs = ena_attributes(fields, "ERC000043")
    assert attrs == [EnaAttribute("collection date", "2024", None),
                     EnaAttribute("geographic location (latitude)", "21.5", "DD"),
                     EnaAttribute("water temperature", "25", "ºC"),
                     EnaAttribute("geographic location (country and/or sea)", "Saudi Arabia", None),
                     EnaAttribute("strain", "RS1", None),
                     EnaAttribute("note", "kept", None)]


def test_never_brokered_checklist_has_plain_attributes_and_nothing_to_check():
    fields = {"breed": "Najdi", "chip_type": "OvineSNP50", "call_rate": 0.97, "total_snps_on_chip": 54241.0}
    assert ena_attributes(fields, "snpchip_livestock") == [
        EnaAttribute("breed", "Najdi", None), EnaAttribute("chip_type", "OvineSNP50", None),
        EnaAttribute("call_rate", "0.97", None), EnaAttribute("total_snps_on_chip", "54241", None)]
    assert check_ena_sample(fields, "snpchip_livestock") == []


def test_check_mandatory_recommended_regex_choice_unit():
    problems = check_ena_sample({"collection_date": "15/01/2026", "geographic_location": "KSA",
                                 "depth": "3 m", "collected_by": "not provided"}, "ERC000043")
    by_field = {(sev, f): (v, m) for sev, f, v, m in problems}
    assert by_field[("error", "strain")] == ("", "'strain' is mandatory in ENA checklist ERC000043")
    value, msg = by_field[("error", "collection date")]
    assert value == "15/01/2026" and "does not match ENA's regular expression for 'collection date'" in msg
    assert ena_checklists()["ERC000043"].by_name["collection date"].regex in msg
    value, msg = by_field[("error", "geographic location (country and/or sea)")]
    assert value == "KSA" and "is not an allowed value" in msg
    value, msg = by_field[("error", "depth")]
    assert msg == "'m' is not an allowed unit for 'depth' (ENA checklist ERC000043): allowed units are 'mm'"
    assert by_field[("warning", "geographic location (latitude)")][1] == (
        "'geographic location (latitude)' is recommended by ENA checklist ERC000043")
    # a missing term in a recommended field: ENA takes them in mandatory fields only
    assert "missing-value term" in by_field[("warning", "collected_by")][1]
    assert {sev for sev, *_ in problems} == {"error", "warning"}


def test_a_clean_livestock_sample_has_only_recommendation_warnings():
    problems = check_ena_sample(LIVESTOCK, "nfdp_livestock")
    assert problems and all(sev == "warning" and "recommended" in msg for sev, _, _, msg in problems)
    assert len(problems) == 59


def test_missing_terms_and_bgiseq_free_vocabulary():
    fields = {"collection_date": "missing: third party data", "geographic_location": "missing: lab stock"}
    assert [p for p in check_ena_sample(fields, "ERC000011") if p[0] == "error"] == []
    assert ena_attributes(fields, "ERC000011") == [
        EnaAttribute("collection date", "missing: third party data", None),
        EnaAttribute("geographic location (country and/or sea)", "missing: lab stock", None)]
    errors = [p for p in check_ena_sample({"collection_date": "missing: because", "geographic_location": "Oman"},
                                          "ERC000011") if p[0] == "error"]
    assert [(f, v) for _, f, v, _ in errors] == [("collection date", "missing: because")]


def test_registered_samples_of_the_seed_meanings_keep_their_data_and_are_told_what_fits():
    """A sample registered under the seed system's ERC000020 (pathogen) is not migrated: its fields still export,
    and the check says which ENA checklist fits."""
    seed = {"organism": "Escherichia coli", "tax_id": 562, "collection_date": "2022-11-02",
            "geographic_location": "Saudi Arabia:Jeddah", "host": "Homo sapiens",
            "isolation_source": "blood", "strain": "EC-1", "serotype": "O157:H7"}
    attrs = {a.tag: a.value for a in ena_attributes(seed, "ERC000020")}
    assert attrs["host scientific name"] == "Homo sapiens" and attrs["serotype"] == "O157:H7"
    problems = check_ena_sample(seed, "ERC000020")
    assert problems[0][:3] == ("error", "ENA-CHECKLIST", "ERC000020")
    assert "use ERC000028 (ENA prokaryotic pathogen minimal sample checklist)" in problems[0][3]
    assert ("error", "project name", "", "'project name' is mandatory in ENA checklist ERC000020") in problems


def test_a_field_given_twice_with_different_values():
    problems = check_ena_sample({"tissue": "blood", "tissue_type": "liver", "collection_date": "2020",
                                 "geographic_location": "Oman"}, "ERC000011")
    assert ("error", "tissue_type", "liver", "'tissue_type' is given twice ('blood' and 'liver'); "
                                             "ENA takes a field once") in problems


def test_units_rules_directly():
    two = EnaField("size", "optional", units=("m", "mm"))
    assert split_units(two, "12 mm") == ("12", "mm", [])
    assert split_units(two, "12")[2] == [("error", "no unit given for 'size': write the value and its unit "
                                                   "(allowed units are 'm', 'mm')")]
    assert split_units(two, "12", "m") == ("12", "m", [])
    assert split_units(two, "not collected") == ("not collected", None, [])
    sand = EnaField("texture", "optional", units=("% sand/silt/clay",))
    assert split_units(sand, "40 % sand/silt/clay") == ("40", "% sand/silt/clay", [])
    plain = EnaField("strain", "optional")
    assert check_value(plain, "x", "m")[2] == [("error", "'strain' takes no unit, but 'm' is given")]


def test_collection_date_rules_directly():
    f = ena_checklists()["ERC000011"].by_name["collection date"]
    today = dt.date(2026, 6, 1)
    for ok in ("2008", "2008-01", "2008-01-23", "2008-01-23T19:23:10+00", "2008-01/2009-02", "not collected",
               "missing: control sample"):
        assert check_value(f, ok, today=today)[2] == [], ok
    assert check_value(f, "2026-07", today=today)[2] == [("error", "'2026-07' is in the future (today is 2026-06-01)")]
    assert check_value(f, "2023-02-29", today=today)[2] == [("error", "'2023-02-29' is not a calendar date")]
    assert check_value(f, "2023-1-5", today=today)[2][0][1].startswith("'2023-1-5' does not match ENA's regular")


def test_sheet_and_check_ena_sample_give_the_same_words(tmp_path):
    from nfdp_ingest.sheet import validate_sheet

    path = tmp_path / "s.tsv"
    path.write_text("sample_alias\torganism\ttax_id\tcollection_date\tgeographic_location\tstrain\tdepth\tplatform\t"
                    "instrument_model\tlibrary_strategy\tfilename_forward\n"
                    "S1\tChlorella vulgaris\t3077\t2024-13\tOman\tRS1\t4 ft\tILLUMINA\tIllumina MiSeq\tWGS\ta.fq\n")
    sheet = {e["column"]: e["message"] for e in validate_sheet(path, "ERC000043").errors}
    sample = {f: m for sev, f, _, m in check_ena_sample({"collection_date": "2024-13", "geographic_location": "Oman",
                                                         "strain": "RS1", "depth": "4 ft"}, "ERC000043")
              if sev == "error"}
    assert sheet == {"collection_date": sample["collection date"], "depth": sample["depth"]}
