import json

from click.testing import CliRunner

from nfdp_ingest.cli import main
from nfdp_ingest.cli.files_cmds import _with_mates
from nfdp_ingest.files import ScanJob
from tests.fixtures_files import requires_tools, write_fastq, write_fastq_pair, write_mislabelled


def test_check_files_text(tmp_path):
    f = write_fastq(tmp_path, "S1.fastq.gz", reads=10)
    res = CliRunner().invoke(main, ["check-files", "--no-progress", str(f.path)])
    assert res.exit_code == 0, res.output
    assert f"FASTQ\t{f.size}\tmd5={f.md5}\tsha256={f.sha256}" in res.output


@requires_tools("samtools")
def test_check_files_json_problems_and_exit_code(tmp_path):
    f = write_fastq(tmp_path, "S1.fastq.gz", reads=10)
    bad = write_mislabelled(tmp_path, "x.fastq.gz")
    res = CliRunner().invoke(main, ["check-files", "--format", "json", str(f.path), str(bad.path),
                                    str(tmp_path / "missing.fq")])
    assert res.exit_code == 1
    rows = json.loads(res.stdout)
    assert [r["ok"] for r in rows] == [True, False, False]
    assert rows[0]["md5"] == f.md5 and rows[0]["type"] == "FASTQ"
    assert "the content is BAM" in rows[1]["problem"] and rows[2]["kind"] == "missing"


def test_check_files_declared_md5_and_deep_pairs(tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=20, reverse_reads=19)
    res = CliRunner().invoke(main, ["check-files", "--no-progress", "--md5", fwd.md5, "--md5", "0" * 32,
                                    str(fwd.path), str(rev.path)])
    assert res.exit_code == 1 and "MD5 mismatch" in res.output and fwd.md5 in res.output
    res = CliRunner().invoke(main, ["check-files", "--no-progress", "--deep", str(fwd.path), str(rev.path)])
    assert res.exit_code == 1 and "has 19 reads but its forward mate" in res.output
    res = CliRunner().invoke(main, ["check-files", "--md5", fwd.md5, str(fwd.path), str(rev.path)])
    assert res.exit_code == 2  # one --md5 for two files


def test_mate_naming_patterns():
    names = ["A_S1_L001_R1_001.fastq.gz", "A_S1_L001_R2_001.fastq.gz", "B_1.fq", "B_2.fq", "C_R2.fq"]
    jobs = _with_mates([ScanJob(n, n) for n in names])
    assert [j.mate_of for j in jobs] == [None, 0, None, 2, None]
