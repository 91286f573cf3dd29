import gzip
import hashlib
import os
import threading

import pytest

from nfdp_ingest.files import (
    FileFacts,
    FileProblem,
    HashingReader,
    ScanJob,
    hashing,
    scan_file,
    scan_files,
)
from tests.fixtures_files import (
    fastq_text,
    md5_of,
    requires_tools,
    sha256_of,
    write_bam,
    write_cram,
    write_empty,
    write_fastq,
    write_mislabelled,
    write_truncated_gzip,
    write_vcf,
)


class Recorder:
    def __init__(self):
        self.bytes = 0
        self.done = []
        self.lock = threading.Lock()

    def advance(self, n):
        with self.lock:
            self.bytes += n

    def file_done(self, name=None):
        with self.lock:
            self.done.append(name)


def test_scan_fastq_gz_facts(tmp_path):
    f = write_fastq(tmp_path, "S1_R1.fastq.gz", reads=500)
    facts = scan_file(f.path, filename=f.filename, declared_md5=f.md5.upper())
    assert facts == FileFacts(path=str(f.path), size=f.size, md5=f.md5, sha256=f.sha256,
                              file_type="FASTQ", read_count=None, filename=f.filename,
                              compressed=True)


@requires_tools("samtools", "bcftools", "bgzip")
def test_scan_real_bam_cram_vcf(tmp_path):
    cram, _ref = write_cram(tmp_path, "a.cram")
    made = [write_bam(tmp_path, "a.bam"), cram, write_vcf(tmp_path, "a.vcf"),
            write_vcf(tmp_path, "b.vcf.gz")]
    for f in made:
        facts = scan_file(f.path, filename=f.filename, declared_md5=f.md5)
        assert (facts.file_type, facts.md5, facts.sha256, facts.size) == (f.file_type, f.md5, f.sha256, f.size)


@pytest.mark.parametrize("chunk", [1, 7, 4096, 65536, 1 << 20])
def test_read_in_any_size_hashes_every_byte_once(tmp_path, chunk):
    f = write_fastq(tmp_path, "x.fastq.gz", reads=3000)
    rec = Recorder()
    r = HashingReader(f.path, filename=f.filename, progress=rec)
    assert r.size == f.size
    out = bytearray()
    while True:
        b = r.read(chunk)
        if not b:
            break
        assert isinstance(b, bytes) and len(b) <= chunk
        out += b
    facts = r.finish(f.md5)
    assert bytes(out) == f.path.read_bytes()  # the consumer got exactly the file
    assert facts.md5 == f.md5 and facts.sha256 == f.sha256
    assert rec.bytes == f.size and rec.done == []  # files done: counted by the caller


def test_parallel_helper_path_gives_the_same_digests(tmp_path):
    path = tmp_path / "big.fq"
    path.write_bytes(fastq_text(20000, length=150))  # several MiB: above PARALLEL_MIN
    assert path.stat().st_size > 4 * hashing.PARALLEL_MIN
    for parallel in (True, False):
        facts = scan_file(path, filename="big.fq", chunk_size=1 << 20, parallel=parallel)
        assert (facts.md5, facts.sha256) == (md5_of(path), sha256_of(path))


def test_md5_only_mode(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=10)
    facts = scan_file(f.path, filename=f.filename, sha256=False)
    assert facts.md5 == f.md5 and facts.sha256 is None


def test_read_minus_one_and_readinto(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=50)
    r = HashingReader(f.path, filename=f.filename)
    assert r.read() == f.path.read_bytes()
    assert r.read(10) == b""
    assert r.finish().md5 == f.md5
    r2 = HashingReader(f.path, filename=f.filename)
    buf = bytearray(1000)
    total = 0
    while (n := r2.readinto(buf)):
        total += n
    assert total == f.size and r2.finish().md5 == f.md5


def test_consumer_that_stops_at_known_size(tmp_path):
    """An uploader that reads exactly `size` bytes and never sees EOF may still finish."""
    f = write_fastq(tmp_path, "x.fq", reads=50)
    r = HashingReader(f.path, filename=f.filename)
    assert len(r.read(r.size)) == f.size
    assert r.finish(f.md5).md5 == f.md5


def test_finish_before_the_end_is_a_programming_error(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=50)
    r = HashingReader(f.path, filename=f.filename)
    r.read(10)
    with pytest.raises(RuntimeError, match="before the end"):
        r.finish()


@requires_tools("samtools")
def test_bam_named_fastq_gz_fails_on_first_read(tmp_path):
    bad = write_mislabelled(tmp_path, "x.fastq.gz")
    r = HashingReader(bad.path, filename="x.fastq.gz")
    with pytest.raises(FileProblem) as e:
        r.read(1 << 20)  # one read of the head is enough to know
    assert "x.fastq.gz: the extension says FASTQ but the content is BAM" in str(e.value)
    assert e.value.kind == "type_mismatch" and e.value.actual == "BAM"


def test_type_mismatch_detected_early_with_small_reads(tmp_path):
    path = tmp_path / "calls.vcf"
    path.write_bytes(fastq_text(2000))
    r = HashingReader(path, filename="calls.vcf")
    with pytest.raises(FileProblem, match="extension says VCF but the content is FASTQ"):
        for _ in range(10):  # 10 x 1 KiB: decided once 4 KiB are in, long before EOF
            r.read(1024)
    assert r.bytes_read < path.stat().st_size


def test_expected_type_overrides_extension(tmp_path):
    f = write_fastq(tmp_path, "reads.fq", reads=5)
    with pytest.raises(FileProblem, match="extension says BAM but the content is FASTQ"):
        scan_file(f.path, filename=f.filename, expected_type="BAM")
    with pytest.raises(ValueError):
        HashingReader(f.path, filename=f.filename, expected_type="SAM")


def test_unsupported_extension_lists_supported_types(tmp_path):
    p = tmp_path / "reads.sam"
    p.write_text("@HD\tVN:1.6\n")
    with pytest.raises(FileProblem) as e:
        scan_file(p, filename="reads.sam")
    assert e.value.kind == "unsupported"
    for word in ("FASTQ", "BAM", "CRAM", "VCF", ".fq.gz", ".vcf.gz"):
        assert word in str(e.value)


def test_unsupported_content_says_what_it_looks_like(tmp_path):
    p = tmp_path / "reads.fastq"
    p.write_bytes(b"@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:chr1\tLN:10\n")
    with pytest.raises(FileProblem, match="reads.fastq: .*SAM") as e:
        scan_file(p, filename="reads.fastq")
    assert e.value.kind == "unsupported"


def test_compression_must_match_the_name(tmp_path):
    plain = tmp_path / "a.fastq.gz"
    plain.write_bytes(fastq_text(5))
    with pytest.raises(FileProblem, match="ends in .gz but the content is uncompressed FASTQ"):
        scan_file(plain, filename="a.fastq.gz")
    packed = tmp_path / "b.fastq"
    packed.write_bytes(gzip.compress(fastq_text(5)))
    with pytest.raises(FileProblem, match="gzip-compressed FASTQ but the name does not end in .gz"):
        scan_file(packed, filename="b.fastq")


def test_empty_file(tmp_path):
    e = write_empty(tmp_path, "S1_R1.fastq.gz")
    with pytest.raises(FileProblem) as exc:
        scan_file(e.path, filename=e.filename)
    assert str(exc.value) == "S1_R1.fastq.gz: is empty (0 bytes)" and exc.value.kind == "empty"
    rec = Recorder()
    [problem] = scan_files([ScanJob(e.path, e.filename)], threads=1, progress=rec)
    assert problem.kind == "empty"
    assert rec.done == ["S1_R1.fastq.gz"]  # progress still counts the file as handled


def test_md5_mismatch_names_file_expected_actual(tmp_path):
    f = write_fastq(tmp_path, "S1_R1.fastq.gz", reads=20)
    wrong = "0" * 32
    with pytest.raises(FileProblem) as e:
        scan_file(f.path, filename=f.filename, declared_md5=wrong)
    msg = str(e.value)
    assert msg.startswith("S1_R1.fastq.gz:") and wrong in msg and f.md5 in msg
    assert (e.value.kind, e.value.expected, e.value.actual) == ("md5_mismatch", wrong, f.md5)


def test_malformed_declared_md5(tmp_path):
    f = write_fastq(tmp_path, "a.fq", reads=2)
    with pytest.raises(FileProblem, match="not 32 hexadecimal digits") as e:
        scan_file(f.path, filename=f.filename, declared_md5="abc")
    assert e.value.kind == "bad_md5"


def test_truncated_gzip_passes_the_streaming_pass(tmp_path):
    """Only --deep decompresses to the end; the streaming pass just hashes."""
    t = write_truncated_gzip(tmp_path)
    assert scan_file(t.path, filename=t.filename, declared_md5=t.md5).md5 == t.md5


def test_file_grows_while_read(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=2000)
    r = HashingReader(f.path, filename=f.filename)
    r.read(8192)
    with open(f.path, "ab") as out:
        out.write(fastq_text(10))
    with pytest.raises(FileProblem, match="x.fq: changed while being read") as e:
        while r.read(8192):
            pass
    assert e.value.kind == "changed"


def test_file_shrinks_while_read(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=2000)
    r = HashingReader(f.path, filename=f.filename)
    r.read(8192)
    os.truncate(f.path, f.size // 2)
    with pytest.raises(FileProblem, match="changed while being read"):
        while r.read(8192):
            pass
        r.finish()


def test_file_rewritten_in_place_same_size(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=2000)
    r = HashingReader(f.path, filename=f.filename)
    r.read(8192)
    with open(f.path, "r+b") as out:
        out.seek(f.size - 10)
        out.write(b"N" * 10)
    st = os.stat(f.path)
    os.utime(f.path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with pytest.raises(FileProblem, match="modified on disk"):
        while r.read(8192):
            pass
        r.finish()


def test_file_replaced_while_read(tmp_path):
    f = write_fastq(tmp_path, "x.fq", reads=2000)
    other = write_fastq(tmp_path, "other.fq", reads=2000, seed=5)
    r = HashingReader(f.path, filename=f.filename)
    r.read(8192)
    os.replace(other.path, f.path)
    with pytest.raises(FileProblem, match="replaced"):
        while r.read(8192):
            pass
        r.finish()


def test_missing_file_is_a_problem_not_oserror(tmp_path):
    with pytest.raises(FileProblem) as e:
        scan_file(tmp_path / "nope.fq", filename="nope.fq")
    assert e.value.kind == "missing"


@requires_tools("samtools")
def test_scan_files_order_and_isolation(tmp_path):
    good = [write_fastq(tmp_path, f"S{i}_R1.fastq.gz", reads=50 + i, seed=i) for i in range(6)]
    bad_bam = write_mislabelled(tmp_path, "bad.fastq.gz")
    empty = write_empty(tmp_path, "empty.fq")
    jobs = [ScanJob(good[0].path, good[0].filename, declared_md5=good[0].md5),
            ScanJob(bad_bam.path, bad_bam.filename),
            ScanJob(good[1].path, good[1].filename, declared_md5="f" * 32),
            ScanJob(tmp_path / "missing.fq", "missing.fq"),
            ScanJob(empty.path, empty.filename)]
    jobs += [ScanJob(g.path, g.filename, declared_md5=g.md5) for g in good[2:]]
    rec = Recorder()
    results = scan_files(jobs, threads=3, progress=rec)
    assert len(results) == len(jobs)
    kinds = [r.kind if isinstance(r, FileProblem) else r.filename for r in results]
    assert kinds == [good[0].filename, "type_mismatch", "md5_mismatch", "missing", "empty",
                     *[g.filename for g in good[2:]]]
    for job, r in zip(jobs, results):
        if isinstance(r, FileFacts):
            assert r.md5 == md5_of(job.path)
        else:
            assert r.filename == job.filename
    assert sorted(rec.done) == sorted(j.filename for j in jobs)  # failed ones count as done too
    # read to the end: the good ones, the MD5 mismatch; the small BAM went in one read
    assert rec.bytes == sum(r.size for r in results if isinstance(r, FileFacts)) + good[1].size + bad_bam.size


def test_scan_files_threads_give_same_results_as_serial(tmp_path):
    files = [write_fastq(tmp_path, f"S{i}.fq", reads=300, seed=i) for i in range(8)]
    jobs = [ScanJob(f.path, f.filename) for f in files]
    assert scan_files(jobs, threads=4) == scan_files(jobs, threads=1)
    assert [r.md5 for r in scan_files(jobs, threads=4)] == [f.md5 for f in files]
    assert scan_files([], threads=2) == []


def test_scan_file_matches_hashlib_on_random_bytes(tmp_path):
    path = tmp_path / "r.fastq.gz"
    data = gzip.compress(fastq_text(1)) + os.urandom(3 * 1024 * 1024 + 17)
    path.write_bytes(data)
    facts = scan_file(path, filename=path.name, chunk_size=1 << 20)
    assert facts.md5 == hashlib.md5(data).hexdigest()
    assert facts.sha256 == hashlib.sha256(data).hexdigest()


def test_fifo_and_directory_do_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.fq")
    (tmp_path / "dir.fq").mkdir()
    res = scan_files([ScanJob(tmp_path / "pipe.fq", "pipe.fq"), ScanJob(tmp_path / "dir.fq", "dir.fq")],
                     threads=2)
    assert [r.kind for r in res] == ["not_regular", "not_regular"]
    assert "is a directory" in str(res[1])
