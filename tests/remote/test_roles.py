"""Who may stage and submit where: the remote endpoints behind the real token roles
(submitter and curator of their own projects, admin everywhere), on a live server."""

from __future__ import annotations

import requests
from factories import make_token

from nfdp_ingest.registry.projects import create_project

from .helpers import mixed_sheet
from .test_submissions import example_files


def test_a_submitter_submits_to_its_own_project_only(live, engine, project, tmp_path):
    elsewhere = create_project(engine, "Another lab's project")["accession"]
    own = make_token(engine, "lab-a", role="submitter", projects=[project])
    curator = make_token(engine, "curator-b", role="curator", projects=[elsewhere])
    admin = make_token(engine, "ops", role="admin")
    folder = tmp_path / "lab"
    folder.mkdir()
    sheet, staged = mixed_sheet(folder, example_files(folder))
    for token in (own, curator, admin):
        for f in staged:
            assert live.stage(token, f).status_code == 201

    # a curator of another project: 403 naming the project, nothing queued
    r = live.submit(curator, sheet, project)
    assert r.status_code == 403 and project in r.json()["detail"]
    # no token at all, or a made-up one: 401
    assert live.submit("", sheet, project).status_code == 401
    assert live.submit("nfdp_not-a-token", sheet, project).status_code == 401
    # listing another project's submissions is refused too
    r = requests.get(live.url(f"/submissions/?project={project}"),
                     headers={"Authorization": f"Bearer {curator}"}, timeout=10)
    assert r.status_code == 403

    r = live.submit(own, sheet, project)
    assert r.status_code == 202, r.text
    assert live.wait(own, r.json()["accession"])["status"] == "committed"
    # the curator cannot read that submission's status either
    r = requests.get(live.url(f"/submissions/{r.json()['accession']}"),
                     headers={"Authorization": f"Bearer {curator}"}, timeout=10)
    assert r.status_code in (403, 404)
