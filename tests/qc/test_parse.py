"""Parsing and judging without a database: fastqc_data.txt, thresholds, MultiQC layouts, name matching."""

from __future__ import annotations

import json

import pytest

from nfdp_ingest import qc
from nfdp_ingest.errors import InvalidInput, UsageError

FASTQC_012 = """##FastQC\t0.12.1
>>Basic Statistics\tpass
#Measure\tValue
Filename\tlib7_R2_001.fastq.gz
File type\tConventional base calls
Encoding\tSanger / Illumina 1.9
Total Sequences\t1234567
Total Bases\t172.8 Mbp
Sequences flagged as poor quality\t150000
Sequence length\t35-151
%GC\t43
>>END_MODULE
>>Per base sequence quality\twarn
#Base\tMean\tMedian
1\t32.1\t33.0
>>END_MODULE
>>Per base sequence content\tfail
#Base\tG\tA\tT\tC
1\t20\t30\t30\t20
>>END_MODULE
>>Adapter Content\tpass
>>END_MODULE
"""


def test_parse_fastqc_data_reads_basic_statistics_and_every_module():
    s = qc.parse_fastqc_data(FASTQC_012)
    assert s["total_sequences"] == 1234567
    assert s["gc_content"] == 43.0
    assert s["sequence_length"] == "35-151"
    assert (s["min_sequence_length"], s["max_sequence_length"]) == (35, 151)
    assert s["poor_quality_sequences"] == 150000
    assert s["total_bases"] == "172.8 Mbp"
    assert s["filename"] == "lib7_R2_001.fastq.gz"
    assert s["fastqc_version"] == "0.12.1"
    assert s["modules"] == {
        "Basic Statistics": "pass", "Per base sequence quality": "warn",
        "Per base sequence content": "fail", "Adapter Content": "pass",
    }


@pytest.mark.parametrize("text", ["", "hello\tworld\n", "##FastQC\t0.11.9\n>>Adapter Content\tpass\n>>END_MODULE\n"])
def test_parse_fastqc_data_refuses_other_text(text):
    with pytest.raises(InvalidInput):
        qc.parse_fastqc_data(text)


def test_default_thresholds_status():
    th = qc.load_thresholds().fastqc
    summary = qc.parse_fastqc_data(FASTQC_012)
    status, reasons = qc.fastqc_status(summary, th)
    # 'Per base sequence content' fails but is not a fail module by default; 12% poor reads > 10%
    assert status == "warn"
    assert any("Per base sequence content" in r for r in reasons)
    assert any("poor quality" in r for r in reasons)

    summary["modules"]["Per base N content"] = "fail"
    assert qc.fastqc_status(summary, th)[0] == "failed"

    summary = qc.parse_fastqc_data(FASTQC_012.replace("Total Sequences\t1234567", "Total Sequences\t999"))
    status, reasons = qc.fastqc_status(summary, th)
    assert status == "failed" and any("999 reads" in r for r in reasons)

    clean = {"total_sequences": 5000, "gc_content": 40.0, "poor_quality_sequences": 0,
             "modules": {"Basic Statistics": "pass", "Adapter Content": "pass"}}
    assert qc.fastqc_status(clean, th) == ("passed", [])


def test_thresholds_override_key_by_key(tmp_path):
    toml = tmp_path / "t.toml"
    toml.write_text('[fastqc]\nignore_modules = ["Per base sequence content"]\nmax_poor_quality_percent = 20\n'
                    'warn_total_sequences = 2000000\n')
    th = qc.load_thresholds(toml)
    assert th.fastqc.ignore_modules == ("Per base sequence content",)
    assert th.fastqc.min_total_sequences == 1000  # untouched default
    assert th.multiqc.fail_percent_fails == 50.0
    status, reasons = qc.fastqc_status(qc.parse_fastqc_data(FASTQC_012), th.fastqc)
    assert status == "warn"
    assert reasons == ["module 'Per base sequence quality' warned",
                       "1234567 reads, fewer than 2000000"]

    js = tmp_path / "t.json"
    js.write_text(json.dumps({"multiqc": {"min_total_sequences": 5}}))
    assert qc.load_thresholds(js).multiqc.min_total_sequences == 5


@pytest.mark.parametrize("content, message", [
    ("[fastqc]\nmin_total_sequence = 5\n", "unknown key 'min_total_sequence'"),
    ("[fastq]\nmin_total_sequences = 5\n", "unknown section [fastq]"),
    ("[fastqc]\nmin_total_sequences = 'many'\n", "must be a number"),
    ("[fastqc]\nmin_total_sequences = 2.5\n", "whole number"),
    ("[fastqc]\nfail_modules = 'Basic Statistics'\n", "list of FastQC module names"),
    ("[fastqc\n", "not valid TOML"),
])
def test_bad_thresholds_file_is_a_usage_error(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        qc.load_thresholds(path)


def test_missing_thresholds_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        qc.load_thresholds(tmp_path / "nope.toml")


NEW_LAYOUT = {
    "config_version": "1.35",
    "report_general_stats_data": {
        "fastqc": {"S1_R1": {"total_sequences": 2000.0, "percent_gc": 40.0, "percent_fails": 20.0}},
        "samtools": {"S1_R1": {"mapped_passed": 1900.0}},
    },
}
OLD_LAYOUT = {
    "config_version": "1.14",
    "report_general_stats_data": [
        {"S1_R1": {"total_sequences": 2000.0, "percent_gc": 40.0, "percent_fails": 20.0}},
        {"S1_R1": {"mapped_passed": 1900.0}},
    ],
    "report_general_stats_headers": [
        {"total_sequences": {"namespace": "FastQC"}, "percent_gc": {"namespace": "FastQC"}},
        {"mapped_passed": {"namespace": "Samtools"}},
    ],
}


def test_general_stats_reads_old_and_new_layouts_alike():
    new, old = qc.general_stats(NEW_LAYOUT), qc.general_stats(OLD_LAYOUT)
    assert new == old == {"S1_R1": {"fastqc": {"total_sequences": 2000.0, "percent_gc": 40.0,
                                               "percent_fails": 20.0},
                                    "samtools": {"mapped_passed": 1900.0}}}
    s = qc.multiqc_summary("S1_R1", new["S1_R1"], "1.35")
    assert s["total_sequences"] == 2000 and isinstance(s["total_sequences"], int)
    assert s["gc_content"] == 40.0
    assert qc.multiqc_status(s, qc.load_thresholds().multiqc)[0] == "warn"  # 20% of modules failed


def test_general_stats_refuses_other_json():
    with pytest.raises(InvalidInput, match="report_general_stats_data"):
        qc.general_stats({"hello": 1})


@pytest.mark.parametrize("name, stem, key", [
    ("S1_R1.fastq.gz", "S1_R1", ("S1", 1)),
    ("dir/lib_2.fq.gz", "lib_2", ("lib", 2)),
    ("x_R2_001.fastq", "x_R2_001", ("x", 2)),
    ("SAMPLE_001.fastq.gz", "SAMPLE_001", ("SAMPLE_001", None)),
    ("reads.bam", "reads", ("reads", None)),
])
def test_name_stem_and_read_key(name, stem, key):
    assert qc.name_stem(name) == stem
    assert qc.read_key(stem) == key


def _cand(i, filename, alias, direction="single"):
    return qc.RunCandidate(i, f"NFDP-RUN-{i:06d}", filename, direction, alias)


def test_match_prefers_exact_stem_then_suffix_then_alias_and_never_guesses():
    runs = [
        _cand(1, "S1_R1.fastq.gz", "S1", "forward"),
        _cand(2, "S1_R2.fastq.gz", "S1", "reverse"),
        _cand(3, "S2_R1_001.fastq.gz", "S2", "forward"),
        _cand(4, "S2_R2_001.fastq.gz", "S2", "reverse"),
        _cand(5, "dup.fastq.gz", "A"),
        _cand(6, "dup.fastq.gz", "B"),
        _cand(7, "lane3.fq.gz", "SAMPX"),
    ]
    index = qc.RunIndex(runs)
    assert index.match("S1_R1")[:2] == (runs[0], "filename")
    assert index.match("S2_1")[:2] == (runs[2], "read suffix")
    assert index.match("S2_R2")[:2] == (runs[3], "read suffix")
    assert index.match("SAMPX")[:2] == (runs[6], "sample alias")
    run, _, candidates = index.match("S1")  # both mates fit: ambiguous
    assert run is None and candidates == ["NFDP-RUN-000001", "NFDP-RUN-000002"]
    run, _, candidates = index.match("dup")
    assert run is None and candidates == ["NFDP-RUN-000005", "NFDP-RUN-000006"]
    assert index.match("nobody") == (None, "", [])


def test_match_samples_never_trusts_two_names_for_one_run():
    runs = [_cand(1, "S1_R1.fastq.gz", "S1", "forward"), _cand(2, "lane3.fq.gz", "SAMPX")]
    matched, unmatched = qc.match_samples(["S1_R1", "S1_1", "SAMPX", "ghost"], runs)
    assert {name: (run.accession, how) for name, (run, how) in matched.items()} == {
        "SAMPX": ("NFDP-RUN-000002", "sample alias")}
    assert [u.name for u in unmatched] == ["S1_1", "S1_R1", "ghost"]
    assert unmatched[0].reason == "ambiguous: S1_1, S1_R1 all match run NFDP-RUN-000001"
    assert unmatched[2].candidates == []


def test_threshold_types_come_from_the_annotations_not_their_spelling():
    from dataclasses import dataclass

    from nfdp_ingest.qc.thresholds import _field_types

    @dataclass(frozen=True)
    class Optional:
        names: tuple[str, ...] | None = None
        count: int | None = None
        share: float = 0.0

    assert _field_types(Optional) == {"names": tuple, "count": int, "share": float}
