"""Commands: serve, token create|list|revoke, filereport."""

from __future__ import annotations

import sys

import click

from ..errors import UsageError
from .common import echo_json, handle_errors, settings_options


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; more than 1 runs gunicorn (4 threads each).")
@click.option("--public-url", default=None, metavar="URL",
              help="Base URL clients use (file report download links); default $NFDP_PUBLIC_URL, else the request's host.")
@settings_options
@handle_errors
def serve(host, port, workers, public_url, settings) -> None:
    """Serve the HTTP API (/api/v1) and the HTML pages (/) until interrupted."""
    from ..api import create_app
    from ..registry import db as registry_db

    settings = settings.with_overrides(public_url=public_url)
    # Fail fast (exit 3) when the database is unreachable or not migrated.
    engine = registry_db.open_registry(settings.db_url, immediate=False)
    engine.dispose()  # no pooled connection crosses a fork
    if workers > 1:
        _gunicorn(settings, host, port, workers)
        return
    from werkzeug.serving import make_server

    # submissions a stopped server left queued or running resume here (same accessions)
    app = create_app(settings, resume_jobs=True)
    server = make_server(host, port, app, threaded=True)
    for accession in app.extensions.get("nfdp_resumed") or ():
        click.echo(f"resuming submission {accession} (queued or running when the server stopped)", err=True)
    click.echo(f"serving the NFDP API on http://{host}:{server.server_port}/api/v1 and its pages on "
               f"http://{host}:{server.server_port}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _gunicorn(settings, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
                               "threads": 4, "accesslog": None, "timeout": 120,
                               "keepalive": 5}.items():
                self.cfg.set(key, value)

        def load(self):  # in each worker, after the fork
            from ..api import create_app

            # every worker (and each one gunicorn starts in place of a dead one) resumes what is
            # pending; a submission's lock lets one process run it
            app = create_app(settings, resume_jobs=True)
            for accession in app.extensions.get("nfdp_resumed") or ():
                click.echo(f"resuming submission {accession} (queued or running, not held by a live process)",
                           err=True)
            return app

    click.echo(f"serving the NFDP API on http://{host}:{port}/api/v1 with {workers} workers", err=True)
    Application().run()


@click.group("token")
def token_group() -> None:
    """Bearer tokens for the API: a role (submitter, curator, admin), projects, an expiry."""


@token_group.command("create")
@click.option("--name", required=True, help="Who or what the token is for (unique).")
@click.option("--role", required=True, type=click.Choice(["submitter", "curator", "admin"]),
              help="submitter: stage files and submit to its projects; curator: also create experiments "
                   "there; admin: everything, everywhere (creates projects).")
@click.option("--project", "projects", multiple=True, metavar="ACC",
              help="A project the token acts on and sees under embargo (repeat; required for "
                   "submitter and curator, refused for admin).")
@click.option("--expires", default=None, metavar="90d",
              help="Lifetime: N hours, days or weeks (12h, 90d, 2w); default: never expires.")
@settings_options
@handle_errors
def token_create(name, role, projects, expires, settings) -> None:
    """Create a token and print it once on stdout (only its SHA-256 is stored)."""
    from ..registry import db as registry_db
    from ..registry import tokens

    lifetime = tokens.parse_lifetime(expires)
    engine = registry_db.open_registry(settings.db_url)
    with registry_db.transaction(engine) as session:
        secret = tokens.create(session, name, role, projects, lifetime)
    click.echo(secret)
    scope = "every project" if role == "admin" else ", ".join(dict.fromkeys(projects))
    until = f"expires in {expires.strip()}" if lifetime else "never expires"
    click.echo(f"token {name!r} created: {role} of {scope}, {until}; it is shown only this once", err=True)


@token_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@settings_options
@handle_errors
def token_list(fmt, settings) -> None:
    """List tokens: name, role, projects, status, expiry, last use (never a secret)."""
    from ..registry import db as registry_db
    from ..registry import tokens

    engine = registry_db.open_registry(settings.db_url, immediate=False)
    with registry_db.transaction(engine) as session:
        rows = [t.as_dict() for t in tokens.list_tokens(session)]
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("no tokens yet (create one with `nfdp-ingest token create --name N --role R`)", err=True)
        return
    click.echo("name\trole\tprojects\tstatus\tcreated\texpires\tlast used")
    for t in rows:
        projects = ",".join(t["projects"]) or ("*" if t["role"] == "admin" else "-")
        click.echo("\t".join([t["name"], t["role"], projects, t["status"], t["created_at"],
                              t["expires_at"] or "never", t["last_used_at"] or "never"]))


@token_group.command("revoke")
@click.argument("name")
@settings_options
@handle_errors
def token_revoke(name, settings) -> None:
    """Revoke the token called NAME (refused from the next request on)."""
    from ..registry import db as registry_db
    from ..registry import tokens

    engine = registry_db.open_registry(settings.db_url)
    with registry_db.transaction(engine) as session:
        tokens.revoke(session, name)
    click.echo(f"token {name!r} revoked", err=True)


@click.command("filereport")
@click.argument("accession")
@click.option("--format", "fmt", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True)
@click.option("--fields", default=None, metavar="a,b", help="Comma-separated subset of the report's fields.")
@click.option("--public-url", default=None, metavar="URL",
              help="Base URL of the API for download_url (default $NFDP_PUBLIC_URL, else http://localhost:8000).")
@settings_options
@handle_errors
def filereport(accession, fmt, fields, public_url, settings) -> None:
    """Print one row per run file under a project, sample, experiment or run accession
    (the same rows as GET /api/v1/filereport)."""
    from ..errors import InvalidInput
    from ..export.filereport import file_report
    from ..registry import db as registry_db
    from ..registry.queries import UnknownAccession
    from ..registry.visibility import EVERYONE

    settings = settings.with_overrides(public_url=public_url)
    engine = registry_db.open_registry(settings.db_url, immediate=False)
    try:
        chunks = file_report(engine, accession, settings.public_url or "http://localhost:8000",
                             fmt=fmt, fields=fields, viewer=EVERYONE)  # an operator sees embargoed projects too
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except UnknownAccession as exc:
        raise InvalidInput(str(exc)) from None
    sys.stdout.writelines(chunks)
    sys.stdout.flush()


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(token_group)
    group.add_command(filereport)
