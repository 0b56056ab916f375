"""``annotate comment``, ``comments`` and ``inbox``: threads on events and moments, and the @mentions."""

from __future__ import annotations

import json

import click

from ..store.comments import Comment
from ..timebase import format_timecode, parse_time
from .common import AppContext, data_options, open_store, pass_app, user_errors
from .user_cmds import _actor


def _line(c: Comment) -> str:
    where = "" if c.at_s is None else f" at {format_timecode(c.at_s)}"
    on = f" on event {c.event_id[:8]}" if c.event_id else ""
    return f"#{c.id} recording {c.recording_id}{where}{on}, {c.author}: {c.text}"


@click.command("comment")
@click.argument("text")
@click.option("--recording", "ref", required=True, help="Recording id or video path.")
@click.option("--event", "event_id", help="The event the comment is on (its moment is the event's start).")
@click.option("--at", "at", help="The moment: seconds (62.5) or a timecode (00:01:02.500).")
@click.option("--as", "author", help="Who writes it (default: this operating-system user as cli:NAME).")
@data_options
@pass_app
def comment_cmd(app: AppContext, text: str, ref: str, event_id: str | None, at: str | None,
                author: str | None) -> None:
    """Comment on a recording, one of its events or a moment of it; @name puts it in that name's inbox."""
    with user_errors():
        store = open_store(app)
        made = store.comments.add(store.find_recording(ref).id, text, author or _actor(), event_id,
                                  None if at is None else parse_time(at))
    click.echo(_line(made) + (f"  (to {', '.join(made.mentions)})" if made.mentions else ""))


@click.command("comments")
@click.option("--recording", "ref", required=True, help="Recording id or video path.")
@click.option("--event", "event_id", help="Only the comments on this event.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
@pass_app
def comments_cmd(app: AppContext, ref: str, event_id: str | None, as_json: bool) -> None:
    """List a recording's comments, oldest first, with their time, event and author."""
    with user_errors():
        store = open_store(app)
        found = store.comments.thread(store.find_recording(ref).id, event_id)
    _show(found, as_json, "no comments")


def _show(found: list, as_json: bool, empty: str) -> None:
    """Print comments as a JSON array, or one line each (``empty`` when there are none)."""
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in found], indent=2, ensure_ascii=False))
        return
    for c in found:
        click.echo(_line(c))
    if not found:
        click.echo(empty)


@click.command("inbox")
@click.argument("name")
@click.option("--all", "everything", is_flag=True, help="Also the comments already marked read.")
@click.option("--read", "mark", is_flag=True, help="Mark the listed comments read.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
@pass_app
def inbox_cmd(app: AppContext, name: str, everything: bool, mark: bool, as_json: bool) -> None:
    """List the comments that mention NAME (@login), newest first; --read marks them read."""
    with user_errors():
        store = open_store(app)
        user = store.accounts.find(name)
        names = [name] if user is None else [user.login, user.display_name]
        found = store.comments.inbox(names, unread_only=not everything)
        if mark and found:
            store.comments.mark_read(names, [c.id for c in found])
    _show(found, as_json, f"nothing {'' if everything else 'unread '}for {name}")
