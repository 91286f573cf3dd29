"""QC reports: FastQC on FASTQ runs (``fastqc``), the import of MultiQC's general
statistics (``multiqc``), the thresholds that judge both (``thresholds``), and their
registry reads and writes (``records``)."""

from .fastqc import FastqcMissing, FastqcResult, find_fastqc, parse_fastqc_data, run_fastqc
from .multiqc import (
    MatchedSample,
    MultiqcImport,
    RunIndex,
    UnmatchedSample,
    general_stats,
    import_multiqc,
    match_samples,
    multiqc_summary,
    name_stem,
    read_key,
)
from .records import FASTQC, MULTIQC, RunCandidate
from .thresholds import Thresholds, fastqc_status, load_thresholds, multiqc_status

__all__ = [
    "FASTQC", "MULTIQC", "FastqcMissing", "FastqcResult", "MatchedSample", "MultiqcImport", "RunCandidate",
    "RunIndex", "Thresholds", "UnmatchedSample", "fastqc_status", "find_fastqc", "general_stats",
    "import_multiqc", "load_thresholds", "match_samples", "multiqc_status", "multiqc_summary", "name_stem", "parse_fastqc_data",
    "read_key", "run_fastqc",
]
