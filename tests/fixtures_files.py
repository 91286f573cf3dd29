"""Factories of realistic data files for tests of every area (import, don't copy).

Each ``write_*`` function writes into a folder you give and returns a ``FixtureFile``
(path, filename, md5, sha256, size, file_type, read_count). BAM, CRAM and VCF files are
made by samtools / bcftools / bgzip, so they are what real tools read; when a tool is
missing the factory raises ``ToolMissing`` (tests can use ``requires_tools``).

    from tests.fixtures_files import write_fastq_pair, write_bam
    fwd, rev = write_fastq_pair(tmp_path, "S1_L001", reads=50)
    bam = write_bam(tmp_path, "S2.bam")
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FixtureFile", "ToolMissing", "have_tools", "requires_tools", "md5_of", "sha256_of",
    "fastq_text", "write_fastq", "write_fastq_pair", "write_reference", "write_sam", "write_bam",
    "write_cram", "write_vcf", "write_truncated_gzip", "write_mislabelled", "write_empty",
    "write_symlink_out_of_root", "write_sparse_fastq", "write_example_set",
]


class ToolMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class FixtureFile:
    path: Path
    md5: str
    sha256: str
    size: int
    file_type: str | None          # what the content really is (None: nothing supported)
    read_count: int | None = None

    @property
    def filename(self) -> str:
        return self.path.name

    def __fspath__(self) -> str:
        return str(self.path)


def md5_of(path: Path | str) -> str:
    return _digest(path, hashlib.md5)


def sha256_of(path: Path | str) -> str:
    return _digest(path, hashlib.sha256)


def _digest(path, algo) -> str:
    h = algo()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _facts(path: Path, file_type: str | None, read_count: int | None = None) -> FixtureFile:
    return FixtureFile(path=path, md5=md5_of(path), sha256=sha256_of(path),
                       size=path.stat().st_size, file_type=file_type, read_count=read_count)


def have_tools(*names: str) -> bool:
    return all(shutil.which(n) for n in names)


def requires_tools(*names: str):
    """pytest mark: skip when a tool is missing."""
    import pytest
    return pytest.mark.skipif(not have_tools(*names), reason=f"needs {', '.join(names)}")


def _run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    if not shutil.which(cmd[0]):
        raise ToolMissing(f"{cmd[0]} is not installed")
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


# ---------------------------------------------------------------------------------------
# FASTQ

def fastq_text(reads: int = 100, *, mate: int | None = 1, length: int = 100, seed: int = 0,
               style: str = "casava", start: int = 0, flowcell: str = "HFCJKDSXY") -> bytes:
    """Illumina-like records. ``style``: 'casava' (``@INST:1:FC:1:1101:x:y 1:N:0:ACGT``),
    'slash' (``@name/1``) or 'plain' (no mate marker). The same seed/start give the
    same read names in both mates, as a real pair has."""
    rng = random.Random(seed * 1000003 + (mate or 0))
    out = []
    quals = "FFFF:F,F:FFFFFFFFF#"
    for i in range(start, start + reads):
        rid = f"A00123:45:{flowcell}:1:1101:{1000 + i}:{2000 + (i * 7) % 30000}"
        if style == "casava":
            header = f"@{rid} {mate or 1}:N:0:ACGTACGT+TTGGCCAA"
        elif style == "slash":
            header = f"@{rid}/{mate or 1}"
        else:
            header = f"@{rid}"
        seq = "".join(rng.choices("ACGT", k=length))
        qual = "".join(rng.choices(quals, k=length))
        out.append(f"{header}\n{seq}\n+\n{qual}\n")
    return "".join(out).encode()


def write_fastq(folder: Path | str, name: str, *, reads: int = 100, mate: int | None = 1,
                gz: bool | None = None, length: int = 100, seed: int = 0, style: str = "casava",
                start: int = 0) -> FixtureFile:
    """A FASTQ file; gzip-compressed when ``gz`` (default: the name ends in .gz)."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = fastq_text(reads, mate=mate, length=length, seed=seed, style=style, start=start)
    if gz if gz is not None else name.endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return _facts(path, "FASTQ", reads)


def write_fastq_pair(folder: Path | str, stem: str, *, reads: int = 100, reverse_reads: int | None = None,
                     gz: bool = True, style: str = "casava", seed: int = 0,
                     reverse_start: int = 0) -> tuple[FixtureFile, FixtureFile]:
    """``{stem}_R1_001.fastq[.gz]`` and ``_R2_`` with matching names. ``reverse_reads`` (a
    different count) or ``reverse_start`` (shifted names) make a broken pair."""
    ext = ".fastq.gz" if gz else ".fastq"
    fwd = write_fastq(folder, f"{stem}_R1_001{ext}", reads=reads, mate=1, gz=gz, style=style, seed=seed)
    rev = write_fastq(folder, f"{stem}_R2_001{ext}", reads=reads if reverse_reads is None else reverse_reads,
                      mate=2, gz=gz, style=style, seed=seed, start=reverse_start)
    return fwd, rev


def write_sparse_fastq(folder: Path | str, name: str, size: int) -> Path:
    """A plain FASTQ of ``size`` bytes: one real record, then a hole of zeros (sparse, so
    it takes no disk space). Good for memory tests of the hashing pass only."""
    path = Path(folder) / name
    with open(path, "wb") as f:
        f.write(fastq_text(1, length=50))
        f.truncate(size)
    return path


# ---------------------------------------------------------------------------------------
# alignments and variants (real tools)

def write_reference(folder: Path | str, name: str = "ref.fa", *, length: int = 2000,
                    seed: int = 7) -> FixtureFile:
    """A one-contig FASTA (``chr1``) with its .fai index (samtools faidx)."""
    rng = random.Random(seed)
    seq = "".join(rng.choices("ACGT", k=length))
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(">chr1\n" + "\n".join(seq[i:i + 60] for i in range(0, length, 60)) + "\n")
    _run("samtools", "faidx", str(path))
    return _facts(path, None)


def _reference_seq(ref: Path) -> str:
    return "".join(line.strip() for line in ref.read_text().splitlines()[1:])


def write_sam(folder: Path | str, name: str, ref: Path, *, reads: int = 50, length: int = 50) -> Path:
    seq = _reference_seq(ref)
    rng = random.Random(3)
    lines = ["@HD\tVN:1.6\tSO:coordinate", f"@SQ\tSN:chr1\tLN:{len(seq)}",
             "@RG\tID:rg1\tSM:sample1\tPL:ILLUMINA"]
    positions = sorted(rng.randrange(0, len(seq) - length) for _ in range(reads))
    for i, pos in enumerate(positions):
        lines.append(f"read{i}\t0\tchr1\t{pos + 1}\t60\t{length}M\t*\t0\t0\t{seq[pos:pos + length]}\t"
                     f"{'I' * length}\tRG:Z:rg1")
    path = Path(folder) / name
    path.write_text("\n".join(lines) + "\n")
    return path


def write_bam(folder: Path | str, name: str = "sample.bam", *, reads: int = 50,
              ref: Path | None = None) -> FixtureFile:
    """A coordinate-sorted BAM made by ``samtools view -b``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ref = ref or write_reference(folder / ".ref", "ref.fa").path
    sam = write_sam(folder / ".ref", name + ".sam", ref, reads=reads)
    out = folder / name
    _run("samtools", "view", "-b", "-o", str(out), str(sam))
    sam.unlink()
    return _facts(out, "BAM", reads)


def write_cram(folder: Path | str, name: str = "sample.cram", *, reads: int = 50,
               ref: Path | None = None) -> tuple[FixtureFile, FixtureFile]:
    """A CRAM 3 made by ``samtools view -C -T ref.fa``; returns (cram, reference)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    reference = _facts(ref, None) if ref else write_reference(folder / ".ref", "ref.fa")
    sam = write_sam(folder / ".ref", name + ".sam", reference.path, reads=reads)
    out = folder / name
    _run("samtools", "view", "-C", "-T", str(reference.path), "-o", str(out), str(sam))
    sam.unlink()
    return _facts(out, "CRAM", reads), reference


VCF_TEXT = """##fileformat=VCFv4.2
##source=nfdp-tests
##contig=<ID=chr1,length=2000>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tsample1\tsample2
"""


def write_vcf(folder: Path | str, name: str = "calls.vcf", *, records: int = 20,
              bgzip: bool | None = None, index: bool = False) -> FixtureFile:
    """A small VCF normalised by ``bcftools view``; ``.vcf.gz`` names are bgzipped by
    ``bgzip`` (and indexed by ``tabix`` when ``index``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    rows = []
    for i in range(records):
        ref, alt = rng.sample("ACGT", 2)
        gts = "\t".join(rng.choice(["0/0", "0/1", "1/1"]) for _ in range(2))
        rows.append(f"chr1\t{(i + 1) * 50}\t.\t{ref}\t{alt}\t{rng.randint(20, 99)}\tPASS\t"
                    f"DP={rng.randint(5, 60)}\tGT\t{gts}")
    raw = folder / (name + ".in.vcf")
    raw.write_text(VCF_TEXT + "\n".join(rows) + "\n")
    compress = bgzip if bgzip is not None else name.endswith(".gz")
    plain = folder / (name[:-3] if name.endswith(".gz") else name)
    if compress and plain.name == name:
        plain = folder / (name + ".tmp.vcf")
    out = folder / name
    _run("bcftools", "view", "--no-version", "-Ov", "-o", str(plain), str(raw))
    raw.unlink()
    if compress:
        _run("bgzip", "-f", str(plain))  # writes plain + '.gz'
        Path(str(plain) + ".gz").rename(out)
        if index:
            _run("tabix", "-p", "vcf", str(out))
    return _facts(out, "VCF")


# ---------------------------------------------------------------------------------------
# broken and awkward files

def write_truncated_gzip(folder: Path | str, name: str = "truncated_R1.fastq.gz", *,
                         reads: int = 2000, keep: float = 0.6) -> FixtureFile:
    """A gzipped FASTQ cut at ``keep`` of its length: the head is fine (type detection
    passes), only a deep check finds the damage."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(fastq_text(reads), mtime=0)
    path.write_bytes(data[: int(len(data) * keep)])
    return _facts(path, "FASTQ", None)


def write_mislabelled(folder: Path | str, name: str = "x.fastq.gz") -> FixtureFile:
    """A real BAM under a FASTQ name."""
    folder = Path(folder)
    bam = write_bam(folder / ".mislabel", "real.bam")
    path = folder / name
    shutil.copyfile(bam.path, path)
    return _facts(path, "BAM", bam.read_count)


def write_empty(folder: Path | str, name: str = "empty_R1.fastq.gz") -> FixtureFile:
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return _facts(path, None)


def write_symlink_out_of_root(root: Path | str, outside: Path | str,
                              name: str = "escape_R1.fastq.gz") -> tuple[Path, FixtureFile]:
    """A valid FASTQ written in ``outside`` and a symlink ``root/name`` pointing at it;
    returns (link, target)."""
    target = write_fastq(outside, "target_" + name, reads=10)
    link = Path(root) / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target.path, link)
    return link, target


def write_example_set(folder: Path | str, *, reads: int = 200) -> dict[str, FixtureFile]:
    """A realistic submission's files: a paired FASTQ.gz, a single-end plain FASTQ, a
    BAM, a CRAM (+ its reference) and a bgzipped VCF. Keys name the role."""
    folder = Path(folder)
    fwd, rev = write_fastq_pair(folder, "S1_L001", reads=reads)
    files = {"forward": fwd, "reverse": rev,
             "single": write_fastq(folder, "S2_single.fq", reads=reads, mate=None, style="plain")}
    if have_tools("samtools"):
        files["bam"] = write_bam(folder, "S3.bam")
        files["cram"], files["reference"] = write_cram(folder, "S4.cram")
    if have_tools("bcftools", "bgzip"):
        files["vcf"] = write_vcf(folder, "S5.vcf.gz")
    return files
