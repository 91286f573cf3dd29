"""/api/v1/filereport and the filereport command."""

from __future__ import annotations

import csv
import io
import json

import pytest

from nfdp_ingest.api import create_app
from nfdp_ingest.config import Settings
from nfdp_ingest.registry.queries import FILEREPORT_FIELDS

from .helpers import run_cli


def test_json_rows_for_a_project(client, demo):
    r = client.get(f"/api/v1/filereport?accession={demo.projects[0]}")
    assert r.status_code == 200 and r.is_streamed
    rows = json.loads(r.get_data())
    assert [x["run_accession"] for x in rows] == demo.runs
    first = rows[0]
    assert list(first) == list(FILEREPORT_FIELDS)
    assert first == first | {
        "run_accession": demo.runs[0], "experiment_accession": demo.experiments[0],
        "sample_accession": demo.samples[0], "project_accession": demo.projects[0],
        "organism": "Bos taurus", "tax_id": 9913, "file_type": "FASTQ",
        "filename": "SAMPLE_001_R1.fastq.gz", "file_size": 1234567890,
        "checksum_md5": "d41d8cd98f00b204e9800998ecf8427e", "platform": "ILLUMINA",
        "instrument_model": "Illumina NovaSeq 6000", "library_strategy": "WGS",
        "library_source": "GENOMIC", "library_layout": "PAIRED",
        "download_url": f"http://localhost/api/v1/runs/{demo.runs[0]}/download",
    }


@pytest.mark.parametrize("kind,expect", [("samples", 1), ("experiments", 0), ("runs", 2)])
def test_any_level_of_the_hierarchy(client, demo, kind, expect):
    acc = getattr(demo, kind)[expect]
    rows = json.loads(client.get(f"/api/v1/filereport/?accession={acc}").get_data())
    if kind == "runs":
        assert [x["run_accession"] for x in rows] == [acc]
    elif kind == "samples":
        assert {x["sample_accession"] for x in rows} == {acc} and len(rows) == 3
    else:
        assert [x["run_accession"] for x in rows] == demo.runs[:2]


def test_tsv_with_chosen_fields(client, demo):
    r = client.get(f"/api/v1/filereport?accession={demo.samples[0]}&format=tsv&fields=run_accession,checksum_md5")
    assert r.status_code == 200
    assert r.content_type.startswith("text/tab-separated-values")
    table = list(csv.reader(io.StringIO(r.get_data(as_text=True)), delimiter="\t"))
    assert table[0] == ["run_accession", "checksum_md5"]
    assert [row[0] for row in table[1:]] == demo.runs[:2]
    assert table[1][1] == "d41d8cd98f00b204e9800998ecf8427e"


def test_json_with_fields_projects(client, demo):
    rows = json.loads(client.get(
        f"/api/v1/filereport?accession={demo.runs[0]}&fields=download_url,file_size").get_data())
    assert rows == [{"download_url": f"http://localhost/api/v1/runs/{demo.runs[0]}/download",
                     "file_size": 1234567890}]


def test_known_accession_without_runs_is_an_empty_list(client, demo):
    for acc in (demo.empty_project, demo.empty_sample):
        r = client.get(f"/api/v1/filereport?accession={acc}")
        assert r.status_code == 200 and json.loads(r.get_data()) == []
        tsv = client.get(f"/api/v1/filereport?accession={acc}&format=tsv")
        assert tsv.get_data(as_text=True) == "\t".join(FILEREPORT_FIELDS) + "\n"


@pytest.mark.parametrize("acc", ["NFDP-PRJ-999999", "NFDP-RUN-999999", "NFDP-SUB-000001", "ERR000001", "x"])
def test_unknown_accession_is_404(client, demo, acc):
    r = client.get(f"/api/v1/filereport?accession={acc}")
    assert r.status_code == 404 and acc in r.get_json()["detail"]


@pytest.mark.parametrize("query,word", [("", "accession"), ("accession=NFDP-PRJ-000001&format=xml", "format"),
                                        ("accession=NFDP-PRJ-000001&fields=run_accession,md5", "md5")])
def test_bad_parameters_are_400(client, demo, query, word):
    r = client.get(f"/api/v1/filereport?{query}")
    assert r.status_code == 400 and word in r.get_json()["detail"]


def test_download_url_uses_the_public_url(settings, demo):
    app = create_app(Settings(**{**settings.__dict__, "public_url": "https://data.example.org/"}))
    rows = json.loads(app.test_client().get(f"/api/v1/filereport?accession={demo.runs[0]}").get_data())
    assert rows[0]["download_url"] == f"https://data.example.org/api/v1/runs/{demo.runs[0]}/download"


def test_cli_prints_the_same_rows(cli_env, client, demo):
    api = json.loads(client.get(f"/api/v1/filereport?accession={demo.projects[0]}").get_data())
    out = run_cli(["filereport", demo.projects[0], "--format", "json",
                   "--public-url", "http://localhost"], cli_env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == api
    tsv = run_cli(["filereport", demo.samples[0], "--fields", "run_accession,filename"], cli_env)
    assert tsv.stdout.splitlines() == ["run_accession\tfilename", f"{demo.runs[0]}\tSAMPLE_001_R1.fastq.gz",
                                       f"{demo.runs[1]}\tSAMPLE_001_R2.fastq.gz"]
    missing = run_cli(["filereport", "NFDP-PRJ-999999"], cli_env)
    assert missing.returncode == 1 and "NFDP-PRJ-999999" in missing.stderr
    bad = run_cli(["filereport", demo.projects[0], "--fields", "nope"], cli_env)
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_file_report_is_a_library_call(engine, demo):
    """export.file_report without Flask: checks before the first chunk, then streams the rows."""
    from nfdp_ingest.export.filereport import file_report
    from nfdp_ingest.registry.queries import UnknownAccession

    with pytest.raises(UnknownAccession):
        file_report(engine, "NFDP-SAM-999999", "http://x")
    with pytest.raises(ValueError, match="colour"):
        file_report(engine, demo.projects[0], "http://x", fields="run_accession,colour")
    with pytest.raises(ValueError, match="format"):
        file_report(engine, demo.projects[0], "http://x", fmt="xml")
    tsv = "".join(file_report(engine, demo.samples[0], "https://data.example.org/", fmt="tsv",
                              fields="run_accession,download_url")).splitlines()
    assert tsv[0] == "run_accession\tdownload_url"
    assert tsv[1] == f"{demo.runs[0]}\thttps://data.example.org/api/v1/runs/{demo.runs[0]}/download"
