"""What every command shares: settings options, error handling, output helpers."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..config import Settings, from_env
from ..errors import EXIT_INFRA, NfdpError


def settings_options(func: Callable) -> Callable:
    """Add --db/--storage/--data-dir and hand the command a ready ``settings``."""

    @click.option("--db", "database_url", metavar="URL", default=None,
                  help="Database URL (default: $NFDP_DATABASE_URL, else a SQLite file under the data dir).")
    @click.option("--storage", type=click.Choice(["local", "minio"]), default=None,
                  help="Storage mode (default: $NFDP_STORAGE, else local).")
    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Folder for the default SQLite file and local QC reports (default: $NFDP_DATA_DIR, else ./var).")
    @functools.wraps(func)
    def wrapper(*args, database_url=None, storage=None, data_dir=None, **kwargs):
        settings = from_env().with_overrides(database_url=database_url, storage=storage, data_dir=data_dir)
        return func(*args, settings=settings, **kwargs)

    return handle_errors(wrapper)  # a bad NFDP_* variable is a usage error too, not a traceback


def handle_errors(func: Callable) -> Callable:
    """Turn our exceptions into one line on stderr and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NfdpError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug of ours: say so plainly, trace only on request
            if os.environ.get("NFDP_DEBUG"):
                traceback.print_exc()
            click.echo(f"error: internal error ({type(exc).__name__}: {exc}); set NFDP_DEBUG=1 for details",
                       err=True)
            sys.exit(EXIT_INFRA)

    return wrapper


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def make_settings(**overrides) -> Settings:
    return from_env().with_overrides(**overrides)


def setup_logging(verbose: bool = False) -> None:
    """Plain timestamped lines on stderr: readable on a terminal, greppable under cron."""
    import logging

    root = logging.getLogger("nfdp_ingest")
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root.addHandler(handler)
    level = os.environ.get("NFDP_LOG_LEVEL", "").upper() or ("DEBUG" if verbose else "INFO")
    root.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    root.propagate = False


def write_report_file(path: Path, data: dict, html: str | None = None) -> None:
    """--report FILE: JSON, or HTML when the name ends in .html and a page is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".html", ".htm"):
        if html is None:
            raise click.BadParameter(f"{path}: this report can only be written as .json")
        path.write_text(html, encoding="utf-8")
    else:
        path.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False), encoding="utf-8")


def iso_date(_ctx, _param, value: str | None):
    """click callback: a YYYY-MM-DD option as a date (None when not given)."""
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None
