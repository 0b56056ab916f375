"""``annotate agreement``, ``annotate assign`` and ``annotate assignments``: double coding from the command line."""

from __future__ import annotations

import json
from collections import Counter

import click

from ..agreement import Agreement, Kappa
from ..app.agreement import agreement_of, parse_coders, settle
from ..model import Kind
from .common import AppContext, data_options, open_store, pass_app, user_errors
from .user_cmds import _actor


def _figure(value: object, places: int = 3) -> str:
    return "-" if value is None else f"{float(value):.{places}f}"  # type: ignore[arg-type]


def _kappa_line(what: str, k: Kappa) -> str:
    return (f"{what}: kappa {_figure(k.kappa)} (observed {_figure(k.observed)}, chance {_figure(k.chance)}, "
            f"{k.units} units)")


def _print_report(report: Agreement, coders: tuple[str, str], count: int) -> None:
    a, b = coders
    click.echo(f"{b} against {a} on {count} recording{'s' if count != 1 else ''} "
               f"(tolerance {report.tolerance_s:g} s, slices {report.slice_s:g} s)")
    click.echo(f"{'kind':<5} {'matched':>7} {'only A':>7} {'only B':>7} {'precision':>9} {'recall':>7} {'F1':>6} "
               f"{'median s':>9} {'p95 s':>7}")
    for stats in [*report.by_kind, report.overall]:
        name = "all" if stats.kind == "all" else Kind(stats.kind).short
        click.echo(f"{name:<5} {stats.matched:>7} {stats.only_a:>7} {stats.only_b:>7} {_figure(stats.precision):>9} "
                   f"{_figure(stats.recall):>7} {_figure(stats.f1):>6} {_figure(stats.median_offset_s):>9} "
                   f"{_figure(stats.p95_offset_s):>7}")
    click.echo(_kappa_line("time slices", report.slices))
    for name, k in report.fields.items():
        click.echo(_kappa_line(f"{name} of matched pairs", k))


@click.command("agreement")
@click.option("--recording", "refs", multiple=True, required=True,
              help="Recording id or video path; repeat for several.")
@click.option("--coders", required=True, help="The two coders, A,B: B is scored against A.")
@click.option("--tolerance", type=float, default=1.0, show_default=True,
              help="Seconds two starts may differ and still match.")
@click.option("--slice", "slice_s", type=float, default=1.0, show_default=True, help="Seconds per slice for kappa.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON (exact fractions too).")
@data_options
@pass_app
def agreement_cmd(app: AppContext, refs: tuple[str, ...], coders: str, tolerance: float, slice_s: float,
                  as_json: bool) -> None:
    """Measure how well two coders agree: matched events per kind, F1, kappa over time slices."""
    with user_errors():
        report, recs, names = agreement_of(open_store(app), refs, parse_coders(coders), tolerance, slice_s)
    if as_json:
        out = {"coders": {"a": names[0], "b": names[1]}, "recordings": [r.id for r in recs], **report.to_dict()}
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        _print_report(report, names, len(recs))


@click.command("assign")
@click.option("--recording", "refs", multiple=True, required=True,
              help="Recording id or video path; repeat for several.")
@click.option("--to", "names", multiple=True, required=True, help="Reviewer login or name; repeat for several.")
@click.option("--status", type=click.Choice(["in_review", "submitted", "approved", "returned"]),
              help="Move the existing assignments to this status instead of assigning.")
@click.option("--note", default="", help="The note of a returned coding (what to change).")
@data_options
@pass_app
def assign_cmd(app: AppContext, refs: tuple[str, ...], names: tuple[str, ...], status: str | None, note: str) -> None:
    """Assign recordings to reviewers (two or more code blind), or move their assignments' status."""
    with user_errors():
        store = open_store(app)
        if status is None:
            for a, new in store.assignments.assign([store.find_recording(r).id for r in refs], names, _actor()):
                click.echo(f"recording {a.recording_id}: {a.reviewer} {'assigned' if new else 'already assigned'}"
                           f" ({a.status})")
            return
        for ref in refs:
            rid = store.find_recording(ref).id
            for name in names:
                a = store.assignments.move(rid, name, status, _actor(), note)
                click.echo(f"recording {a.recording_id}: {a.reviewer} {a.status}")


@click.command("assignments")
@click.option("--recording", "ref", help="Only this recording (id or video path).")
@click.option("--reviewer", help="Only this reviewer's assignments.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
@pass_app
def assignments_cmd(app: AppContext, ref: str | None, reviewer: str | None, as_json: bool) -> None:
    """List who codes which recording and how far each is (new, in review, submitted, approved, returned)."""
    with user_errors():
        store = open_store(app)
        rid = None if ref is None else store.find_recording(ref).id
        found = store.assignments.list(rid, reviewer)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no assignments: assign recordings with `annotate assign --recording ID --to NAME`")
        return
    for a in found:
        click.echo(f"#{a.recording_id:<5} {a.reviewer:<20} {a.status:<10} {a.note}".rstrip())
    for name, counts in sorted(_progress(found).items()):
        done = counts["submitted"] + counts["approved"]
        click.echo(f"{name}: {done} of {sum(counts.values())} submitted or approved, {counts['approved']} approved")


def _progress(found: list) -> dict[str, Counter]:
    """Return {reviewer: Counter of statuses}."""
    out: dict[str, Counter] = {}
    for a in found:
        out.setdefault(a.reviewer, Counter())[a.status] += 1
    return out


@click.command("consensus")
@click.option("--recording", "ref", required=True, help="Recording id or video path.")
@click.option("--coders", required=True, help="The two coders, A,B.")
@click.option("--decisions", "decisions_file", type=click.File("r", encoding="utf-8"),
              help='JSON list of {"a": ID, "b": ID, "action": "accept_a|accept_b|merge|drop"}, overriding the '
              "defaults.")
@click.option("--tolerance", type=float, default=1.0, show_default=True, help="Seconds two starts may differ to pair.")
@click.option("--as", "author", help="Who decides (default: this operating-system user as cli:NAME).")
@data_options
@pass_app
def consensus_cmd(app: AppContext, ref: str, coders: str, decisions_file, tolerance: float, author: str | None) -> None:
    """Settle two coders' sets into the recording's events: A's for matched pairs unless --decisions says otherwise."""
    with user_errors():
        try:
            overrides = json.load(decisions_file) if decisions_file else []
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"--decisions is not JSON: {exc.msg} (line {exc.lineno})") from None
        if not isinstance(overrides, list) or not all(isinstance(o, dict) for o in overrides):
            raise click.ClickException('--decisions must be a JSON list of {"a": ..., "b": ..., "action": ...}')
        made = settle(open_store(app), ref, parse_coders(coders), author or _actor(), overrides, tolerance)
    click.echo(f"consensus of {coders}: the recording's events are now the {len(made)} consensus "
               f"event{'s' if len(made) != 1 else ''}")
