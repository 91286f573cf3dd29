"""api/access.py as the staging and submission endpoints use it: every action × role × project."""

from __future__ import annotations

import pytest
from factories import make_token
from sqlalchemy.orm import Session

from nfdp_ingest.api import access
from nfdp_ingest.api.common import ApiError
from nfdp_ingest.registry.visibility import ANONYMOUS, EVERYONE

ACTIONS = ("validate", "stage", "submit", "create_experiment", "create_project")
# role → actions it may do (in its projects)
MAY = {"submitter": {"validate", "stage", "submit"},
       "curator": {"validate", "stage", "submit", "create_experiment"},
       "admin": set(ACTIONS)}


@pytest.fixture
def secrets_by_role(engine, demo):
    own = (demo.projects[0],)
    return {role: make_token(engine, role, role, () if role == "admin" else own) for role in MAY}


def _call(app, engine, fn, headers=None, **kw):
    with app.test_request_context("/api/v1/x", method="POST", headers=headers or {}):
        with Session(engine) as session:
            return fn(session, **kw)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", list(MAY))
@pytest.mark.parametrize("where", ["own", "other", None])
def test_require(app, engine, demo, secrets_by_role, action, role, where):
    project = {"own": demo.projects[0], "other": demo.projects[1], None: None}[where]
    headers = {"Authorization": f"Bearer {secrets_by_role[role]}"}
    allowed = action in MAY[role] and (where != "other" or role == "admin")
    if allowed:
        token = _call(app, engine, access.require, headers, action=action, project=project)
        assert token.role == role and token.name == role
        assert token.project_accessions == ([] if role == "admin" else [demo.projects[0]])
    else:
        with pytest.raises(ApiError) as caught:
            _call(app, engine, access.require, headers, action=action, project=project)
        assert caught.value.code == 403
        assert role in caught.value.description
        if action in MAY[role]:  # the role would do: it is the project
            assert demo.projects[1] in caught.value.description


@pytest.mark.parametrize("action", ACTIONS)
def test_require_without_a_token_is_401(app, engine, demo, action):
    with pytest.raises(ApiError) as caught:
        _call(app, engine, access.require, action=action)
    assert caught.value.code == 401


def test_caller_and_viewer(app, engine, demo, secrets_by_role):
    assert _call(app, engine, access.caller) is None
    assert _call(app, engine, access.viewer) == ANONYMOUS
    admin = {"Authorization": f"Bearer {secrets_by_role['admin']}"}
    assert _call(app, engine, access.viewer, admin) == EVERYONE
    sub = {"Authorization": f"Bearer {secrets_by_role['submitter']}"}
    seen = _call(app, engine, access.viewer, sub)
    assert not seen.admin and len(seen.project_ids) == 1
    cookie = {"Cookie": f"nfdp_token={secrets_by_role['curator']}"}
    assert _call(app, engine, access.caller, cookie).role == "curator"
    for bad in ({"Authorization": "Bearer nfdp_nope"}, {"Cookie": "nfdp_token=nfdp_nope"}):
        with pytest.raises(ApiError) as caught:
            _call(app, engine, access.caller, bad)
        assert caught.value.code == 401
    with pytest.raises(ValueError):
        _call(app, engine, access.require, admin, action="drop_tables")
