"""`classbox lesson import|export|list`: prepared lessons from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from classbox.cli_support import open_db_for_cli
from classbox.lessons.steps import LessonError


@click.group()
def lesson() -> None:
    """Prepared lessons: import GIFT or classbox-lesson/1 JSON files, export them, list them."""


@lesson.command("import")
@click.option("--owner", help="Login of the teacher who owns the lessons (default: the only teacher).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_cmd(ctx: click.Context, owner: str | None, file: str) -> None:
    """Import FILE (Moodle GIFT, or classbox-lesson/1 JSON): one lesson per GIFT $CATEGORY."""
    from classbox.lessons.importer import import_lessons, title_from_filename
    from classbox.lessons.store import find_owner

    db = open_db_for_cli(ctx)
    try:
        result = import_lessons(db, Path(file).read_bytes(), find_owner(db, owner), title_from_filename(file))
    except LessonError as err:
        raise click.ClickException(f"{file}: {err} (nothing imported)") from None
    finally:
        db.conn.close()
    for lesson_id, item in zip(result.ids, result.lessons):
        click.echo(f"lesson {lesson_id}: {item.title} ({len(item.steps)} steps)")
    for skip in result.skipped:
        title = f" ::{skip.title}::" if skip.title else ""
        click.echo(f"skipped line {skip.line}{title}: {skip.reason}", err=True)


@lesson.command("export")
@click.option("--format", "fmt", type=click.Choice(["gift", "json"]), default="json", show_default=True,
              help="gift (Moodle) or json (classbox-lesson/1, keeps every step).")
@click.argument("lesson_id", metavar="ID", type=int)
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, lesson_id: int) -> None:
    """Print lesson ID as GIFT or classbox-lesson/1 JSON on standard output."""
    from classbox.lessons.giftexport import export_gift
    from classbox.lessons.lessonjson import export_json
    from classbox.lessons.store import get_lesson

    db = open_db_for_cli(ctx)
    try:
        found = get_lesson(db, lesson_id, None)
    finally:
        db.conn.close()
    if found is None:
        raise click.ClickException(f"no lesson {lesson_id} (see `classbox lesson list`)")
    if fmt == "gift":
        click.echo(export_gift([found]), nl=False)
    else:
        click.echo(json.dumps(export_json([found]), ensure_ascii=False, indent=2))


@lesson.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List every lesson of the box: id, steps, owner or pack, title."""
    from classbox.lessons.store import list_lessons

    db = open_db_for_cli(ctx)
    try:
        rows = list_lessons(db, None)
    finally:
        db.conn.close()
    for row in rows:
        owner = f"pack {row['pack_id']}" if row["pack_id"] else row["owner"]
        click.echo(f"{row['id']}\t{row['steps']} steps\t{owner}\t{row['title']}")
    if not rows:
        click.echo("no lessons yet (classbox lesson import FILE)")
