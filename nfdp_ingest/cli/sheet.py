"""Sample-sheet commands: ``checklists``, ``template``, ``validate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import EXIT_INVALID, EXIT_OK, UsageError
from .common import echo_json, handle_errors


@click.command("checklists")
@click.argument("checklist", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def checklists_cmd(checklist: str | None, fmt: str) -> None:
    """List the sample checklists: id, title and required fields; with CHECKLIST, its every field."""
    from ..sheet import get_checklist, list_checklists

    if checklist:
        summary = get_checklist(checklist).summary()
        if fmt == "json":
            echo_json(summary)
            return
        click.echo(f"{summary['id']}  {summary['title']}  (brokered as: {summary['ena_checklist'] or 'never'})")
        for f in summary["fields"]:
            rule = "; ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}"
                             for k, v in f.items() if k in ("units", "regex", "choices", "allowed"))
            kind = f.get("cardinality", "mandatory" if f["required"] else "optional")
            name = f"{f['name']} = ENA {f['ena_name']!r}" if "ena_name" in f else f["name"]
            click.echo(f"  {kind:<11}  {name}" + (f"  [{rule}]" if rule else ""))
        return
    items = list_checklists()
    if fmt == "json":
        echo_json(items)
        return
    width = max(len(c["id"]) for c in items)
    for c in items:
        click.echo(f"{c['id']:<{width}}  {c['title']}")
        click.echo(f"{'':<{width}}  required: {', '.join(c['required'])}")


@click.command("template")
@click.argument("checklist")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the template to FILE (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["tsv", "csv"]), default=None,
              help="Delimiter (default: from the output file's extension, else tsv).")
@handle_errors
def template_cmd(checklist: str, output: Path | None, fmt: str | None) -> None:
    """Print a sample-sheet template for CHECKLIST with two demo rows that validate."""
    from ..sheet.template import render_template

    if fmt is None:
        fmt = "csv" if output is not None and output.suffix.lower() == ".csv" else "tsv"
    text = render_template(checklist, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


@click.command("validate")
@click.argument("sheet", type=click.Path(path_type=Path))
@click.option("--checklist", default=None, metavar="ID",
              help="Checklist to validate against (default: the one the sheet names in a checklist column "
                   "or a '# checklist:' line, else ERC000011).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a report: FILE.html (a page to open in a browser) or FILE.json.")
@handle_errors
def validate_cmd(sheet: Path, checklist: str | None, fmt: str, report_path: Path | None) -> None:
    """Validate SHEET (CSV, TSV or XLSX). Exit 0 valid, 1 invalid, 2 usage error."""
    from ..sheet import validate_sheet

    if report_path is not None and report_path.suffix.lower() not in (".html", ".htm", ".json"):
        raise UsageError(f"--report {report_path}: the file name must end in .html or .json")
    report = validate_sheet(sheet, checklist)
    if report_path is not None:
        if report_path.suffix.lower() == ".json":
            content = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
        else:
            content = report.to_html()
        try:
            report_path.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write report {report_path}: {exc.strerror or exc}") from None
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo(report.to_text(), nl=False)
    sys.exit(EXIT_OK if report.valid else EXIT_INVALID)


def register(group: click.Group) -> None:
    group.add_command(checklists_cmd)
    group.add_command(template_cmd)
    group.add_command(validate_cmd)
