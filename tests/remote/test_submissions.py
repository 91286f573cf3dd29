"""Submissions over HTTP on a real server: end to end (records equal `submit`'s), invalid
sheets, duplicates at once, files of another owner, progress and listing."""

from __future__ import annotations

import threading

import requests
from fixtures_files import write_bam, write_fastq_pair, write_vcf

from nfdp_ingest.pipeline.submit import submit_sheet
from nfdp_ingest.registry.projects import create_project
from tests.pipeline.conftest import accessions, row, write_sheet

from .helpers import mixed_sheet, project_records


def example_files(folder):
    fwd, rev = write_fastq_pair(folder, "C1_L001", reads=300)
    return {"forward": fwd, "reverse": rev, "bam": write_bam(folder, "C2.bam"),
            "vcf": write_vcf(folder, "C3.vcf.gz")}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_http_submission_end_to_end_equals_cli_submit(live, tokens, project, engine, settings, tmp_path):
    a, _ = tokens
    folder = tmp_path / "lab"
    folder.mkdir()
    files = example_files(folder)
    sheet, staged = mixed_sheet(folder, files)
    for f in staged:
        assert live.stage(a, f).status_code == 201
    r = live.submit(a, sheet, project)
    assert r.status_code == 202, r.text
    accession = r.json()["accession"]
    assert r.json()["status"] == "queued" and r.headers["Location"].endswith(f"/submissions/{accession}")
    done = live.wait(a, accession)
    assert done["status"] == "committed", done
    assert done["progress"]["files_done"] == 4 and done["progress"]["bytes_done"] == sum(
        f.path.stat().st_size for f in staged)
    assert len(done["report"]["runs"]) == 4 and done["report"]["submission"] == accession
    # the staged copies were released; the stored files are where the runs say
    assert requests.get(live.url("/staging/"), headers=auth(a), timeout=10).json() == []
    runs = requests.get(live.url(f"/runs/?project={project}&per_page=100"), timeout=10).json()
    assert all(open(r["file_path"], "rb").read(2) for r in runs) and len(runs) == 4

    other = create_project(engine, "The same sheet, by the CLI")["accession"]
    submit_sheet(sheet, settings, project=other, show_progress=False)
    assert project_records(engine, project) == project_records(engine, other)

    listed = requests.get(live.url(f"/submissions/?project={project}"), headers=auth(a), timeout=10)
    assert listed.status_code == 200 and [s["accession"] for s in listed.json()] == [accession]


def test_invalid_sheet_is_422_with_the_validate_report(live, tokens, project, tmp_path):
    a, _ = tokens
    sheet = write_sheet(tmp_path / "bad.tsv", [row("x", "x_R1.fastq.gz", "x_R2.fastq.gz", md5=False,
                                                    tax_id="not-a-number", platform="TELEPATHY")])
    r = live.submit(a, sheet, project)
    assert r.status_code == 422
    body = r.json()
    assert body["valid"] is False and body["error_count"] >= 2 and "detail" in body
    assert {(e["row"], e["column"]) for e in body["all_errors"]} >= {(2, "tax_id"), (2, "platform")}
    v = requests.post(live.url("/validate"), headers=auth(a), timeout=30,
                      files={"sheet": ("bad.tsv", open(sheet, "rb"))})
    assert v.status_code == 200 and v.json()["all_errors"] == body["all_errors"]
    assert requests.post(live.url("/validate"), timeout=30,
                         files={"sheet": ("bad.tsv", open(sheet, "rb"))}).status_code == 401


def test_missing_staged_files_fail_with_every_error(live, tokens, project, tmp_path):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "M1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("m1", fwd, rev)])
    assert live.stage(a, fwd).status_code == 201
    r = live.submit(a, sheet, project)
    assert r.status_code == 202
    done = live.wait(a, r.json()["accession"])
    assert done["status"] == "failed"
    assert [(e["row"], e["column"], e["value"]) for e in done["errors"]] == [(2, "filename_reverse", rev.filename)]
    assert "not staged" in done["errors"][0]["message"]


def test_another_owners_files_are_not_used(live, tokens, project, tmp_path, engine):
    a, b = tokens
    fwd, rev = write_fastq_pair(tmp_path, "O1")
    sheet = write_sheet(tmp_path / "s.tsv", [row("o1", fwd, rev)])
    for f in (fwd, rev):
        assert live.stage(a, f).status_code == 201
    r = live.submit(b, sheet, project)
    done = live.wait(b, r.json()["accession"])
    assert done["status"] == "failed" and len(done["errors"]) == 2
    assert accessions(engine)["run"] == []
    # a's files are still there, untouched
    assert len(requests.get(live.url("/staging/"), headers=auth(a), timeout=10).json()) == 2


def test_two_identical_submissions_at_once(live, tokens, project, tmp_path, engine):
    a, _ = tokens
    fwd, rev = write_fastq_pair(tmp_path, "D1", reads=500)
    sheet = write_sheet(tmp_path / "s.tsv", [row("d1", fwd, rev)])
    for f in (fwd, rev):
        assert live.stage(a, f).status_code == 201
    answers = []
    barrier = threading.Barrier(2)

    def post():
        barrier.wait()
        answers.append(live.submit(a, sheet, project))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in answers)
    accepted = [r.json()["accession"] for r in answers if r.status_code == 202]
    finals = [live.wait(a, acc) for acc in accepted]
    committed = [f for f in finals if f["status"] == "committed" and not f["report"].get("duplicate_of")]
    assert len(committed) == 1
    if codes == [202, 409]:  # refused at once, naming the submission under way
        refused = next(r for r in answers if r.status_code == 409).json()
        assert refused["submission"] == accepted[0] and "already being submitted" in refused["detail"]
    else:  # both accepted: the second found everything registered by the first
        assert codes == [202, 202]
        dup = next(f for f in finals if f is not committed[0])
        assert dup["report"]["duplicate_of"] == committed[0]["accession"]
    assert len(accessions(engine)["run"]) == 2


def test_no_token_or_bad_token(live, project, tmp_path):
    sheet = write_sheet(tmp_path / "s.tsv", [row("n1", "n_R1.fastq.gz", "n_R2.fastq.gz", md5=False)])
    assert live.submit("nfdp_nope", sheet, project).status_code == 401
    assert requests.get(live.url("/submissions/NFDP-SUB-000001"), timeout=10).status_code == 401
    assert requests.get(live.url(f"/submissions/?project={project}"), timeout=10).status_code == 401
