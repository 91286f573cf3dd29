import gzip

import pytest

from nfdp_ingest.errors import InvalidInput
from nfdp_ingest.files import (
    FileProblem,
    describe_content,
    sniff_type,
    type_from_extension,
)
from tests.fixtures_files import fastq_text, requires_tools, write_bam, write_cram, write_vcf


@pytest.mark.parametrize("name, expected", [
    ("a.fastq", "FASTQ"), ("a.fq", "FASTQ"), ("a.fastq.gz", "FASTQ"), ("S1_R1_001.FQ.GZ", "FASTQ"),
    ("x.bam", "BAM"), ("x.cram", "CRAM"), ("calls.vcf", "VCF"), ("calls.vcf.gz", "VCF"),
    ("x.sam", None), ("x.gz", None), ("x.fasta", None), ("x.bcf", None), ("fastq", None),
    (".fastq", None), ("x.fastq.bz2", None), ("x.txt", None),
])
def test_type_from_extension(name, expected):
    assert type_from_extension(name) == expected


def test_file_problem_is_invalid_input_and_names_file():
    p = FileProblem("a.fq", "is broken", kind="corrupt")
    assert isinstance(p, InvalidInput) and p.exit_code == 1
    assert p.filename == "a.fq" and str(p) == "a.fq: is broken" and p.message == "a.fq: is broken"


def test_sniff_plain_and_gzip_fastq():
    text = fastq_text(3)
    assert sniff_type(text) == "FASTQ"
    assert sniff_type(gzip.compress(text)) == "FASTQ"
    # only the first bytes of the gzip stream are needed
    assert sniff_type(gzip.compress(fastq_text(2000))[:300]) == "FASTQ"


def test_sniff_rejects_sam_and_non_fastq_text():
    sam = b"@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:10\n"
    assert sniff_type(sam) is None
    assert "SAM" in describe_content(sam)
    not_fastq = b"@read1\nACGT\nnot a plus line\nIIII\n"
    assert sniff_type(not_fastq) is None
    assert sniff_type(b">chr1\nACGT\n") is None and "FASTA" in describe_content(b">chr1\nACGT\n")
    assert sniff_type(b"") is None and describe_content(b"") == "empty"
    assert sniff_type(b"BZh91AY&SY") is None and "bzip2" in describe_content(b"BZh91AY&SY")


def test_sniff_vcf_plain_and_gzip():
    head = b"##fileformat=VCFv4.2\n##source=x\n"
    assert sniff_type(head) == "VCF"
    assert sniff_type(gzip.compress(head)) == "VCF"


def test_sniff_cram_magic_needs_version_bytes():
    assert sniff_type(b"CRAM\x03\x00" + b"\x00" * 20) == "CRAM"
    assert sniff_type(b"CRAM\x07\x00" + b"\x00" * 20) is None
    assert sniff_type(b"CRAM") is None


def test_sniff_bam_needs_bgzf():
    plain_gzip_bam = gzip.compress(b"BAM\x01" + b"\x00" * 100)
    assert sniff_type(plain_gzip_bam) is None
    assert "not BGZF" in describe_content(plain_gzip_bam)


@requires_tools("samtools")
def test_sniff_real_bam_and_cram(tmp_path):
    bam = write_bam(tmp_path, "a.bam")
    assert sniff_type(bam.path.read_bytes()[:4096]) == "BAM"
    cram, _ref = write_cram(tmp_path, "a.cram")
    assert sniff_type(cram.path.read_bytes()[:4096]) == "CRAM"


@requires_tools("bcftools", "bgzip")
def test_sniff_real_vcf_and_bgzipped_vcf(tmp_path):
    plain = write_vcf(tmp_path, "a.vcf")
    gz = write_vcf(tmp_path, "b.vcf.gz", index=True)
    assert sniff_type(plain.path.read_bytes()[:4096]) == "VCF"
    head = gz.path.read_bytes()[:4096]
    assert head[:3] == b"\x1f\x8b\x08" and sniff_type(head) == "VCF"
    assert (tmp_path / "b.vcf.gz.tbi").exists()  # bgzip for real: tabix could index it
