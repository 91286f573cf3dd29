import gzip
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nfdp_ingest.files import FileProblem, HashingReader, describe_content, sniff_type
from tests.fixtures_files import fastq_text, md5_of, write_sparse_fastq

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, sys
    from nfdp_ingest.files import scan_file
    facts = scan_file(sys.argv[1], filename="big.fastq")
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    print(json.dumps({"md5": facts.md5, "size": facts.size, "peak_kib": hwm}))
""")


def test_memory_is_bounded_for_a_300_mb_file(tmp_path):
    size = 300 * 1024 * 1024
    path = write_sparse_fastq(tmp_path, "big.fastq", size)
    assert path.stat().st_blocks * 512 < 10 * 1024 * 1024  # really sparse: no disk used
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    got = json.loads(out.stdout)
    assert got["size"] == size
    assert got["md5"] == md5_of(path)
    # VmHWM, not ru_maxrss: Linux carries the parent's (pytest's) high-water mark into a child.
    # Python + our imports are ~30 MiB; the hashing pass adds two 8 MiB buffers at most.
    assert got["peak_kib"] < 80 * 1024, got


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_sniffer_never_crashes(head):
    assert sniff_type(head) in (None, "FASTQ", "BAM", "CRAM", "VCF")
    assert isinstance(describe_content(head), str)
    assert sniff_type(gzip.compress(head)) in (None, "FASTQ", "BAM", "CRAM", "VCF")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=300_000), min_size=1, max_size=30),
       extra=st.binary(max_size=2000))
def test_any_chunking_hashes_like_hashlib(tmp_path, sizes, extra):
    data = gzip.compress(fastq_text(200), mtime=0) + extra
    path = tmp_path / "x.fastq.gz"
    path.write_bytes(data)
    r = HashingReader(path, filename=path.name, chunk_size=4096)
    got = bytearray()
    i = 0
    while True:
        chunk = r.read(sizes[i % len(sizes)])
        i += 1
        if not chunk:
            break
        got += chunk
    facts = r.finish(hashlib.md5(data).hexdigest())
    assert bytes(got) == data
    assert facts.sha256 == hashlib.sha256(data).hexdigest() and facts.size == len(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=5000))
def test_arbitrary_content_under_a_fastq_name_is_fastq_or_a_problem(tmp_path, data):
    path = tmp_path / "y.fq"
    path.write_bytes(data)
    r = HashingReader(path, filename="y.fq")
    try:
        while r.read(1000):
            pass
        facts = r.finish()
    except FileProblem as problem:
        assert str(problem).startswith("y.fq: ")
        assert problem.kind in ("unsupported", "type_mismatch")
    else:
        assert facts.file_type == "FASTQ" and data.startswith(b"@")
