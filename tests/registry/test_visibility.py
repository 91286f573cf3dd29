"""The embargo filter of the read queries, per viewer (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nfdp_ingest.export.filereport import file_report
from nfdp_ingest.registry import queries
from nfdp_ingest.registry.db import transaction
from nfdp_ingest.registry.visibility import (
    ANONYMOUS,
    EVERYONE,
    Viewer,
    hidden_projects,
    is_embargoed,
)
from tests.factories import make_experiment, make_project, make_qc, make_run, make_sample

TODAY = datetime.now(UTC).date()


@pytest.fixture
def tree(engine):
    """Three projects (embargoed, no date, released today), each with 2 samples × 1 experiment × 2 runs."""
    out = {}
    with transaction(engine) as s:
        for key, day in (("hidden", TODAY + timedelta(days=1)), ("open", None), ("today", TODAY)):
            p = make_project(s, release_date=day)
            rows = {"id": p.id, "project": p.accession, "samples": [], "experiments": [], "runs": []}
            for _ in range(2):
                sample = make_sample(s, p)
                exp = make_experiment(s, sample, platform="ILLUMINA")
                runs = [make_run(s, exp, file_type="BAM") for _ in range(2)]
                make_qc(s, runs[0])
                rows["samples"].append(sample.accession)
                rows["experiments"].append(exp.accession)
                rows["runs"] += [r.accession for r in runs]
            out[key] = rows
    return out


def test_hidden_set_by_viewer(engine, tree):
    with engine.connect() as conn:
        assert hidden_projects(conn, ANONYMOUS).accessions == {tree["hidden"]["project"]}
        assert not hidden_projects(conn, EVERYONE)
        assert not hidden_projects(conn, Viewer(project_ids=frozenset({tree["hidden"]["id"]})))
        assert hidden_projects(conn, Viewer(project_ids=frozenset({tree["open"]["id"]}))).ids == {
            tree["hidden"]["id"]}
        assert not hidden_projects(conn, ANONYMOUS, on=TODAY + timedelta(days=1))  # the day it is released
    assert is_embargoed(TODAY + timedelta(days=1)) and not is_embargoed(TODAY) and not is_embargoed(None)


@pytest.mark.parametrize("resource", ["projects", "samples", "experiments", "runs"])
@pytest.mark.parametrize("filters", [{}, {"platform": "ILLUMINA"}, {"file_type": "BAM"}])
def test_lists_and_counts_leave_hidden_rows_out(engine, tree, resource, filters):
    filters = {k: v for k, v in filters.items() if k in queries.FILTERS[resource]}
    key = "project" if resource == "projects" else resource
    hidden = tree["hidden"][key] if resource != "projects" else [tree["hidden"]["project"]]
    with engine.connect() as conn:
        everything, total_all = queries.list_page(conn, resource, filters, 1, 1000, viewer=EVERYONE)
        seen, total = queries.list_page(conn, resource, filters, 1, 1000)
        assert set(hidden) <= {r["accession"] for r in everything}
        assert [r["accession"] for r in seen] == [r["accession"] for r in everything if r["accession"] not in hidden]
        assert total == len(seen) == queries.count(conn, resource, filters) == total_all - len(hidden)
        # pages tile the visible list, walking from both ends
        tiles = [r["accession"] for p in range(1, 20) for r in queries.list_page(conn, resource, filters, p, 1)[0]]
        assert tiles == [r["accession"] for r in seen]


def test_records_and_parent_filters_of_hidden_projects_are_unknown(engine, tree):
    h = tree["hidden"]
    with engine.connect() as conn:
        for resource, acc in (("projects", h["project"]), ("samples", h["samples"][0]),
                              ("experiments", h["experiments"][1]), ("runs", h["runs"][3])):
            with pytest.raises(queries.UnknownAccession):
                queries.get_record(conn, resource, acc)
            assert queries.get_record(conn, resource, acc, viewer=EVERYONE)["accession"] == acc
        for resource, name, acc in (("samples", "project", h["project"]), ("runs", "sample", h["samples"][0]),
                                    ("runs", "experiment", h["experiments"][0]),
                                    ("experiments", "project", h["project"])):
            with pytest.raises(queries.UnknownAccession):
                queries.list_page(conn, resource, {name: acc}, 1, 20)
            with pytest.raises(queries.UnknownAccession):
                queries.count(conn, resource, {name: acc})
            own = Viewer(project_ids=frozenset({h["id"]}))
            assert queries.list_page(conn, resource, {name: acc}, 1, 20, viewer=own)[1] > 0
        with pytest.raises(queries.UnknownAccession):
            queries.qc_reports(conn, h["runs"][0])
        with pytest.raises(queries.UnknownAccession):
            queries.qc_report_path(conn, h["runs"][0], "fastqc_report.html")
        assert queries.qc_reports(conn, h["runs"][0], viewer=EVERYONE)[0]["tool"] == "FastQC"


def test_file_report_of_a_hidden_scope_is_unknown(engine, tree):
    h = tree["hidden"]
    for acc in (h["project"], h["samples"][1], h["experiments"][0], h["runs"][2]):
        with pytest.raises(queries.UnknownAccession):
            file_report(engine, acc, "http://x")
        body = "".join(file_report(engine, acc, "http://x", fmt="tsv", viewer=EVERYONE))
        assert body.count("\n") > 1
    own = Viewer(project_ids=frozenset({h["id"]}))
    body = "".join(file_report(engine, h["project"], "http://x", fmt="tsv", viewer=own))
    assert [line.split("\t")[0] for line in body.splitlines()[1:]] == h["runs"]
    public = "".join(file_report(engine, tree["open"]["project"], "http://x", fmt="tsv"))
    assert [line.split("\t")[0] for line in public.splitlines()[1:]] == tree["open"]["runs"]
