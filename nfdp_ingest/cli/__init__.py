"""The ``nfdp-ingest`` command: a thin click layer over the library.

Each area keeps its commands in its own module here and exposes ``register``. The modules are
imported only when one of their commands runs: ``fetch`` and ``remote`` run on analysts' and
labs' machines, where paying for SQLAlchemy, pandas and Flask at every start (about 0.7 s) is
time the download does not get.
"""

from __future__ import annotations

import importlib

import click

from .. import __version__

# command -> the module in this package whose register() defines it
COMMANDS = {
    "checklists": "sheet", "template": "sheet", "validate": "sheet",
    "db": "db", "project": "db",
    "submit": "submit",
    "storage": "storage_cmds",
    "filereport": "api", "serve": "api", "token": "api",
    "nightly": "nightly",
    "qc": "qc",
    "check-files": "files_cmds",
    "ena": "ena",
    "samplesheet": "samplesheet",
    "fetch": "fetch",
    "staging": "staging_cmds",
    "remote": "remote",
    "jobs": "workers", "worker": "workers",
}


class LazyGroup(click.Group):
    """A group whose commands come from ``COMMANDS``, each module imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            area = click.Group()
            importlib.import_module(f".{COMMANDS[cmd_name]}", __name__).register(area)
            self.commands.update(area.commands)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nfdp-ingest")
def main() -> None:
    """Ingest sequencing sample sheets: validate, verify files, store, register, serve."""
