"""Full-text search on both databases: documents kept by the database, words, ranking, embargo hook."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.models import Run, Sample
from nfdp_ingest.registry.search import SearchQueryError, parse_kinds, query_words, search
from tests.factories import make_experiment, make_project, make_run, make_sample


@pytest.fixture
def tree(engine):
    with transaction(engine) as s:
        p1 = make_project(s, title="Dairy cattle resequencing", description="Holstein and Jersey herds")
        p2 = make_project(s, title="Salmon lice", description="Sea lice on farmed salmon")
        a = make_sample(s, p1, alias="COW-17", organism="Bos taurus", breed="Holstein",
                        geographic_location="Norway:Hedmark", attributes={"farm": "Bjørnstad gård"})
        b = make_sample(s, p1, alias="COW-18", organism="Bos taurus", breed="Jersey")
        c = make_sample(s, p2, alias="LICE-1", organism="Lepeophtheirus salmonis")
        runs = [make_run(s, make_experiment(s, x)) for x in (a, b, c)]
        out = {"p1": (p1.id, p1.accession), "p2": (p2.id, p2.accession), "a": a.accession, "b": b.accession,
               "c": c.accession, "runs": [(r.accession, r.filename, r.checksum_md5) for r in runs]}
    return out


def find(engine, q, **kw):
    """(hits, total): the count is exact for every query of these small trees."""
    with engine.connect() as conn:
        hits, total, exact = search(conn, q, **kw)
    assert exact
    return hits, total


def test_a_breed_finds_its_sample_and_project(engine, tree):
    hits, total = find(engine, "holstein")
    assert total == 2
    assert [(h["type"], h["accession"]) for h in hits] == [("sample", tree["a"]), ("project", tree["p1"][1])] or \
        {(h["type"], h["accession"]) for h in hits} == {("sample", tree["a"]), ("project", tree["p1"][1])}
    sample = next(h for h in hits if h["type"] == "sample")
    assert sample["title"] == "COW-17" and "Holstein" in sample["summary"]
    assert sample["project_accession"] == tree["p1"][1]


def test_an_md5_finds_its_run_only(engine, tree):
    acc, filename, md5 = tree["runs"][1]
    hits, total = find(engine, md5.upper())
    assert total == 1 and hits[0]["type"] == "run" and hits[0]["accession"] == acc
    assert hits[0]["title"] == filename


def test_every_word_must_match_and_file_name_parts_are_words(engine, tree):
    assert find(engine, "bos taurus jersey")[1] == 1
    assert find(engine, "bos taurus")[1] == 2
    acc, filename, _ = tree["runs"][0]
    hits, _ = find(engine, filename)  # the whole name: its words, all present
    assert hits[0]["accession"] == acc
    assert find(engine, "Hedmark")[0][0]["accession"] == tree["a"]
    assert find(engine, "farm Bjørnstad")[0][0]["accession"] == tree["a"]  # attributes are searched


def test_title_words_rank_first(engine, tree):
    # "salmon" is in project 2's title and in sample LICE-1's organism only as part of "salmonis"
    hits, _ = find(engine, "salmon")
    assert hits[0]["accession"] == tree["p2"][1]


def test_kinds_pages_and_hidden_projects(engine, tree):
    hits, total = find(engine, "bos", kinds=("sample",), per_page=1)
    assert total == 2 and len(hits) == 1
    second, _ = find(engine, "bos", kinds=("sample",), per_page=1, page=2)
    assert second[0]["accession"] != hits[0]["accession"]
    assert find(engine, "bos", kinds=("sample",), page=3)[0] == []
    assert find(engine, "lice", hidden_project_ids=[tree["p2"][0]]) == ([], 0)
    assert find(engine, "lice", project_ids=[tree["p1"][0]]) == ([], 0)
    assert find(engine, "lice", project_ids=[])[1] == 0


def test_documents_follow_updates_and_deletes(engine, tree):
    with transaction(engine) as s:
        s.execute(update(Sample).where(Sample.accession == tree["b"]).values(breed="Telemark"))
    assert find(engine, "jersey", kinds=("sample",))[1] == 0
    assert find(engine, "telemark")[0][0]["accession"] == tree["b"]
    acc = tree["runs"][2][0]
    with transaction(engine) as s:
        s.execute(delete(Run).where(Run.accession == acc))
    assert find(engine, acc)[1] == 0


def test_operators_in_a_query_are_only_text(engine, tree):
    for q in ['holstein" OR "jersey', "holstein | jersey", "holstein & !jersey", "NEAR(holstein jersey)", "'x':*"]:
        hits, total = find(engine, q)  # no syntax error, no operator obeyed
        assert isinstance(total, int)
    assert find(engine, 'holstein" AND "jersey')[1] == 1  # words holstein, and, jersey: only the project has all


def test_queries_without_words_and_unknown_types_are_refused():
    assert query_words(" ,;- ") == []
    assert query_words("A_L001_R1.fastq.gz") == ["a", "l001", "r1", "fastq", "gz"]
    assert parse_kinds("run, sample") == ("run", "sample") and parse_kinds(None) == ("project", "sample", "run")
    with pytest.raises(SearchQueryError, match="unknown type 'experiment'"):
        parse_kinds("experiment")


def test_bulk_inserts_are_indexed(engine, tree):
    """A submission writes runs by executemany: the statement-level triggers index them all."""
    with transaction(engine) as s:
        exp_id = s.execute(text("SELECT id FROM experiment LIMIT 1")).scalar()
        s.execute(Run.__table__.insert(), [
            {"accession": f"NFDP-RUN-9{i:05d}", "experiment_id": exp_id, "filename": f"bulk_{i}.bam",
             "file_type": "BAM", "file_size": 1, "checksum_md5": f"{i:032x}", "checksum_sha256": f"{i:064x}",
             "read_direction": "single", "file_path": "p"} for i in range(300)])
    assert find(engine, "bam bulk")[1] >= 0
    assert find(engine, f"{7:032x}")[0][0]["accession"] == "NFDP-RUN-900007"
    assert find(engine, "bam", kinds=("run",))[1] == 300


def test_a_whole_file_name_is_found_first_and_many_hits_are_not_ranked(engine, tree, monkeypatch):
    from nfdp_ingest.registry import search as mod
    from nfdp_ingest.registry.search import joined_name

    assert joined_name("A_L001_R1.fastq.gz") == "al001r1fastqgz" and joined_name("bos taurus") is None
    acc, filename, _ = tree["runs"][0]
    hits, total = find(engine, filename)
    assert total == 1 and hits[0]["accession"] == acc
    # not a registered name: the words still find what has them all
    assert find(engine, "COW-17")[0][0]["accession"] == tree["a"]
    monkeypatch.setattr(mod, "RANK_LIMIT", 1)
    hits, total = find(engine, "bos taurus")
    assert total == 2 and [h["accession"] for h in hits] == sorted([tree["a"], tree["b"]])


def test_hits_are_counted_and_paged_up_to_the_count_limit(engine, tree):
    with engine.connect() as conn:
        everything = search(conn, "nfdp", per_page=100)  # every accession has the word
        assert everything[2] and everything[1] >= 8
        hits, total, exact = search(conn, "nfdp", per_page=2, page=2, count_limit=5)
        assert (total, exact) == (5, False) and len(hits) == 2
        assert [h["accession"] for h in hits] == [h["accession"] for h in everything[0][2:4]]
        last, total, _ = search(conn, "nfdp", per_page=2, page=3, count_limit=5)
        assert total == 5 and len(last) == 1  # the page ends at the cap, not at per_page
        assert search(conn, "nfdp", per_page=2, page=4, count_limit=5)[:2] == ([], 5)
        assert search(conn, "holstein", count_limit=5)[1:] == (2, True)
