"""What the code needs from its dependencies beyond importing them, checked at every
version CI installs (the newest via constraints.txt, the lowest via `make test-floors`).

spectree is not used by the API yet; the API contract is to move to a pydantic v2 model
validated by spectree (CODE-NOTES §3.1), so its floor is held to this: spectree 1.4.0
answers 500, not 422, when a pydantic v2 model rejects a body."""

from __future__ import annotations

from flask import Flask
from pydantic import BaseModel, Field
from spectree import Response, SpecTree


class _Body(BaseModel):
    title: str = Field(min_length=1)


class _Out(BaseModel):
    ok: bool


def test_spectree_validates_a_pydantic_v2_model_in_flask():
    app = Flask(__name__)
    api = SpecTree("flask")

    @app.post("/things")
    @api.validate(json=_Body, resp=Response(HTTP_200=_Out))
    def things():
        return _Out(ok=True)

    api.register(app)
    client = app.test_client()
    good = client.post("/things", json={"title": "a"})
    assert good.status_code == 200 and good.json == {"ok": True}
    bad = client.post("/things", json={"title": ""})
    assert bad.status_code == 422
    with app.app_context():
        assert "_Body" in str(api.spec["components"])
