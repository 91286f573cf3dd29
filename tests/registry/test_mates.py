"""Mates of runs registered before runs recorded them: the pairing rules and the migration."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from nfdp_ingest.registry import db
from nfdp_ingest.registry.mates import RegisteredRun, pair_registered


def R(acc: int, direction: str, name: str, exp: int = 1, sub: int | None = 1) -> RegisteredRun:
    return RegisteredRun(f"NFDP-RUN-{acc:06d}", exp, sub, direction, name)


def test_names_pair_lanes_even_when_accessions_interleave():
    runs = [R(1, "forward", "A_L001_R1_001.fastq.gz"), R(2, "forward", "A_L002_R1_001.fastq.gz"),
            R(3, "reverse", "A_L002_R2_001.fastq.gz"), R(4, "reverse", "A_L001_R2_001.fastq.gz")]
    assert sorted(pair_registered(runs)) == [("NFDP-RUN-000001", "NFDP-RUN-000004"),
                                             ("NFDP-RUN-000002", "NFDP-RUN-000003")]


def test_underscore_digit_and_dot_tokens():
    runs = [R(7, "forward", "x_1.fq.gz"), R(9, "reverse", "x_2.fq.gz"),
            R(20, "forward", "y.1.fastq", exp=2), R(30, "reverse", "y.2.fastq", exp=2)]
    assert sorted(pair_registered(runs)) == [("NFDP-RUN-000007", "NFDP-RUN-000009"),
                                             ("NFDP-RUN-000020", "NFDP-RUN-000030")]


def test_history_pairs_unrelated_names_reserved_one_after_the_other():
    runs = [R(1, "forward", "alpha.fq.gz"), R(2, "reverse", "beta.fq.gz"),
            R(3, "forward", "gamma.fq.gz"), R(4, "reverse", "delta.fq.gz")]
    assert sorted(pair_registered(runs)) == [("NFDP-RUN-000001", "NFDP-RUN-000002"),
                                             ("NFDP-RUN-000003", "NFDP-RUN-000004")]


def test_history_needs_the_same_submission_and_ambiguity_pairs_nothing():
    runs = [R(1, "forward", "alpha.fq.gz", sub=1), R(2, "reverse", "beta.fq.gz", sub=2),
            R(5, "forward", "gamma.fq.gz", sub=1), R(9, "reverse", "delta.fq.gz", sub=2)]
    assert pair_registered(runs) == []


def test_one_forward_one_reverse_left_in_an_experiment_are_mates():
    runs = [R(1, "forward", "alpha.fq.gz", sub=1), R(8, "reverse", "beta.fq.gz", sub=2),
            R(3, "single", "c.bam")]
    assert pair_registered(runs) == [("NFDP-RUN-000001", "NFDP-RUN-000008")]


def test_different_experiments_never_pair():
    runs = [R(1, "forward", "s_R1.fq.gz", exp=1), R(2, "reverse", "s_R2.fq.gz", exp=2)]
    assert pair_registered(runs) == []


def test_migration_fills_mates_of_rows_registered_before_it(database_url):
    """Build the schema at revision 0002, register runs the old way, then upgrade."""
    engine = db.make_engine(database_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO project (accession, title, created_at) VALUES ('P', 't', '2024-01-01')"))
        conn.execute(sa.text("INSERT INTO sample (accession, project_id, alias, attributes, created_at) "
                             "SELECT 'S', id, 'a', '{}', '2024-01-01' FROM project"))
        conn.execute(sa.text(
            "INSERT INTO experiment (accession, sample_id, platform, instrument_model, library_strategy, "
            "library_source, library_layout, created_at) "
            "SELECT 'E', id, 'ILLUMINA', 'x', 'WGS', 'GENOMIC', 'PAIRED', '2024-01-01' FROM sample"))
        for acc, direction, name in [(1, "forward", "a_R1.fq.gz"), (2, "reverse", "a_R2.fq.gz"),
                                     (3, "single", "a.bam")]:
            conn.execute(sa.text(
                "INSERT INTO run (accession, experiment_id, filename, file_type, file_size, checksum_md5, "
                "checksum_sha256, read_direction, file_path, created_at) "
                "SELECT :acc, id, :name, 'FASTQ', 1, 'm', 's', :dir, 'p', '2024-01-01' FROM experiment"),
                {"acc": f"NFDP-RUN-{acc:06d}", "name": name, "dir": direction})
    db.upgrade(engine)
    with engine.connect() as conn:
        mates = dict(conn.execute(sa.text("SELECT accession, mate_accession FROM run")).all())
    engine.dispose()
    assert mates == {"NFDP-RUN-000001": "NFDP-RUN-000002", "NFDP-RUN-000002": "NFDP-RUN-000001",
                     "NFDP-RUN-000003": None}
