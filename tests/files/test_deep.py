import gzip

import pytest

from nfdp_ingest.files import (
    FileFacts,
    FileProblem,
    ScanJob,
    check_pair,
    deep_check,
    mate_key,
    mates_problem,
    scan_files,
)
from tests.fixtures_files import (
    fastq_text,
    requires_tools,
    write_bam,
    write_cram,
    write_fastq,
    write_fastq_pair,
    write_truncated_gzip,
    write_vcf,
)


@pytest.mark.parametrize("gz", [True, False])
def test_fastq_count_and_names(tmp_path, gz):
    f = write_fastq(tmp_path, "S1_R1.fastq" + (".gz" if gz else ""), reads=1234)
    d = deep_check(f.path, "FASTQ")
    assert d.read_count == 1234 and d.compressed is gz
    assert d.first_name.startswith("A00123:45:HFCJKDSXY:1:1101:1000:") and d.first_name.endswith("1:N:0:ACGTACGT+TTGGCCAA")
    assert d.last_name.split()[0].split(":")[-2] == str(1000 + 1233)
    assert [i for i, _ in d.sample_names] == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1233]


def test_truncated_gzip_fails_naming_the_file(tmp_path):
    t = write_truncated_gzip(tmp_path, "S9_R1_001.fastq.gz")
    with pytest.raises(FileProblem) as e:
        deep_check(t.path, "FASTQ")
    assert str(e.value).startswith("S9_R1_001.fastq.gz: ") and "truncated" in str(e.value)
    assert e.value.kind == "corrupt"


def test_corrupt_gzip_crc(tmp_path):
    data = bytearray(gzip.compress(fastq_text(50), mtime=0))
    data[-6] ^= 0xFF  # CRC32 field
    p = tmp_path / "bad.fq.gz"
    p.write_bytes(bytes(data))
    with pytest.raises(FileProblem, match="bad.fq.gz: the gzip data is corrupt"):
        deep_check(p, "FASTQ")


def test_multi_member_gzip_is_read_to_the_end(tmp_path):
    p = tmp_path / "multi.fq.gz"
    p.write_bytes(gzip.compress(fastq_text(10)) + gzip.compress(fastq_text(7, start=10)))
    assert deep_check(p, "FASTQ").read_count == 17


@pytest.mark.parametrize("body, where, what", [
    (b"@r1\nACGT\n+\nIIII\n@r2\nACG\n+\nIIII\n", "read 2 (lines 5-8)", "Length of sequence and qualities differ"),
    (b"@r1\nACGT\n+\nIIII\n@r2\nACGT\n+\n", "read 2 (lines 5-8)", "Premature end of file"),
    (b"@r1\nACGT\n+\nIIII\nr2\nACGT\n+\nIIII\n", "read 2 (lines 5-8)", "'@'"),
    (b"@r1\nACGT\n-\nIIII\n", "read 1 (lines 1-4)", "'+'"),
])
def test_fastq_structure_errors_give_line_and_read(tmp_path, body, where, what):
    p = tmp_path / "bad.fq"
    p.write_bytes(body)
    with pytest.raises(FileProblem) as e:
        deep_check(p, "FASTQ")
    assert str(e.value).startswith("bad.fq: invalid FASTQ in " + where)
    assert what in str(e.value)


def test_line_count_not_multiple_of_four_in_gzip(tmp_path):
    p = tmp_path / "cut.fastq.gz"
    p.write_bytes(gzip.compress(fastq_text(100) + b"@extra\nACGT\n"))
    with pytest.raises(FileProblem, match=r"in read 101 \(lines 401-404\)"):
        deep_check(p, "FASTQ")


def test_zero_reads(tmp_path):
    p = tmp_path / "none.fastq.gz"
    p.write_bytes(gzip.compress(b""))
    with pytest.raises(FileProblem, match="none.fastq.gz: contains no reads"):
        deep_check(p, "FASTQ")


def test_read_name_too_long(tmp_path):
    p = tmp_path / "long.fq"
    p.write_bytes(b"@" + b"x" * 300 + b"\nACGT\n+\nIIII\n")
    with pytest.raises(FileProblem, match="read 1 .* 300 characters"):
        deep_check(p, "FASTQ")


@requires_tools("samtools")
def test_bam_and_cram_deep(tmp_path):
    bam = write_bam(tmp_path, "a.bam")
    assert deep_check(bam.path, "BAM").uncompressed_size > bam.size
    cut = tmp_path / "cut.bam"
    cut.write_bytes(bam.path.read_bytes()[:-28])  # drop the BGZF EOF block: still valid gzip
    with pytest.raises(FileProblem, match="cut.bam: has no BGZF end-of-file marker"):
        deep_check(cut, "BAM")
    half = tmp_path / "half.bam"
    half.write_bytes(bam.path.read_bytes()[: bam.size // 2])
    with pytest.raises(FileProblem, match="half.bam: the gzip data ends early"):
        deep_check(half, "BAM")
    cram, _ = write_cram(tmp_path, "a.cram")
    assert deep_check(cram.path, "CRAM").file_type == "CRAM"
    cut_cram = tmp_path / "cut.cram"
    cut_cram.write_bytes(cram.path.read_bytes()[:-38])
    with pytest.raises(FileProblem, match="cut.cram: has no CRAM end-of-file container"):
        deep_check(cut_cram, "CRAM")


@requires_tools("bcftools", "bgzip")
def test_vcf_deep(tmp_path):
    assert deep_check(write_vcf(tmp_path, "a.vcf", records=12).path, "VCF").record_count == 12
    gz = write_vcf(tmp_path, "b.vcf.gz", records=30)
    assert deep_check(gz.path, "VCF").record_count == 30
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(gz.path.read_bytes()[: gz.size // 2])
    with pytest.raises(FileProblem, match="cut.vcf.gz: the gzip data ends early"):
        deep_check(cut, "VCF")
    headless = tmp_path / "h.vcf"
    headless.write_text("##fileformat=VCFv4.2\nchr1\t1\t.\tA\tC\t50\tPASS\t.\n")
    with pytest.raises(FileProblem, match="line 2 before the '#CHROM'"):
        deep_check(headless, "VCF")


@pytest.mark.parametrize("name, key", [
    ("A00123:45:FC:1:1101:1000:2000 1:N:0:ACGT", ("A00123:45:FC:1:1101:1000:2000", "1")),
    ("A00123:45:FC:1:1101:1000:2000 2:Y:0:ACGT", ("A00123:45:FC:1:1101:1000:2000", "2")),
    ("HWI-1:3:7:1000:2000#0/1", ("HWI-1:3:7:1000:2000#0", "1")),
    ("SRR1.1 length=100", ("SRR1.1", None)),
    ("plain", ("plain", None)),
])
def test_mate_key(name, key):
    assert mate_key(name) == key


def test_mates_problem():
    assert mates_problem("a 1:N:0:A", "a 2:N:0:A") is None
    assert mates_problem("a/1", "a/2") is None
    assert mates_problem("a", "a") is None
    assert "differ" in mates_problem("a 1:N:0:A", "b 2:N:0:A")
    assert "swapped" in mates_problem("a 2:N:0:A", "a 1:N:0:A")


@pytest.mark.parametrize("style", ["casava", "slash", "plain"])
def test_good_pair(tmp_path, style):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=300, style=style)
    check_pair(deep_check(fwd.path, "FASTQ"), deep_check(rev.path, "FASTQ"))


def test_pair_unequal_counts(tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=300, reverse_reads=299)
    with pytest.raises(FileProblem) as e:
        check_pair(deep_check(fwd.path, "FASTQ"), deep_check(rev.path, "FASTQ"))
    msg = str(e.value)
    assert msg.startswith(rev.filename + ": has 299 reads") and fwd.filename in msg and "300" in msg
    assert e.value.kind == "pair_mismatch"


def test_pair_mismatching_names(tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=300, reverse_start=1)
    with pytest.raises(FileProblem, match="is not the mate of .*at read 1 the read names differ"):
        check_pair(deep_check(fwd.path, "FASTQ"), deep_check(rev.path, "FASTQ"))


def test_pair_names_differ_only_in_the_middle(tmp_path):
    fwd = write_fastq(tmp_path, "a_R1.fq", reads=100, mate=1)
    rev_text = fastq_text(100, mate=2).replace(b":1000:2000 2:N", b":1000:2000 2:N")  # same
    lines = rev_text.split(b"\n")
    lines[64 * 4] = b"@other 2:N:0:ACGT"  # read 65 (index 64) is a sampled position
    (tmp_path / "a_R2.fq").write_bytes(b"\n".join(lines))
    with pytest.raises(FileProblem, match="at read 65"):
        check_pair(deep_check(fwd.path, "FASTQ"), deep_check(tmp_path / "a_R2.fq", "FASTQ"))


def test_pair_swapped(tmp_path):
    fwd, rev = write_fastq_pair(tmp_path, "S1", reads=20)
    with pytest.raises(FileProblem, match="swapped"):
        check_pair(deep_check(rev.path, "FASTQ"), deep_check(fwd.path, "FASTQ"))


def test_scan_files_deep_with_pairs(tmp_path):
    good_f, good_r = write_fastq_pair(tmp_path, "G", reads=100)
    bad_f, bad_r = write_fastq_pair(tmp_path, "B", reads=100, reverse_reads=90)
    trunc = write_truncated_gzip(tmp_path, "T_R1.fastq.gz")
    jobs = [ScanJob(good_f.path, good_f.filename), ScanJob(good_r.path, good_r.filename, mate_of=0),
            ScanJob(bad_f.path, bad_f.filename), ScanJob(bad_r.path, bad_r.filename, mate_of=2),
            ScanJob(trunc.path, trunc.filename)]
    res = scan_files(jobs, threads=2, deep=True)
    assert isinstance(res[0], FileFacts) and res[0].read_count == 100 and res[0].deep.read_count == 100
    assert isinstance(res[1], FileFacts) and res[1].md5 == good_r.md5
    assert isinstance(res[2], FileProblem) and res[2] is res[3] and res[3].kind == "pair_mismatch"
    assert isinstance(res[4], FileProblem) and res[4].filename == trunc.filename and "truncated" in str(res[4])
    # without deep, the same jobs hash fine
    assert all(isinstance(r, FileFacts) for r in scan_files(jobs, threads=2))


@pytest.mark.parametrize("file_type, name", [("FASTQ", "bad.fq.gz"), ("VCF", "bad.vcf.gz")])
def test_corrupt_deflate_data_in_the_middle(tmp_path, file_type, name):
    payload = (b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" if file_type == "VCF"
               else b"") + fastq_text(3000)
    data = bytearray(gzip.compress(payload, mtime=0))
    for i in range(20, 200):  # damage the first deflate block: an invalid block, not garbage text
        data[i] ^= 0x55
    p = tmp_path / name
    p.write_bytes(bytes(data))
    with pytest.raises(FileProblem) as e:
        deep_check(p, file_type)
    assert str(e.value).startswith(name + ": the gzip data is corrupt") and e.value.kind == "corrupt"
    # the streaming pass already sees the damaged head (no deep check needed): a problem, no crash
    [res] = scan_files([ScanJob(p, name)], threads=1, deep=True)
    assert isinstance(res, FileProblem) and "no readable payload" in str(res)
