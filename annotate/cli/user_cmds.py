"""``annotate user``: the accounts that may sign in to ``annotate serve --auth local``."""

from __future__ import annotations

import getpass
import json
import sys

import click

from ..accounts.passwords import hash_password
from ..accounts.roles import parse_roles
from ..store.accounts import Accounts, fold_login
from .common import data_options, open_store


def _actor() -> str:
    """Return who runs this command, for the change log (the operating-system user)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read_password(from_stdin: bool) -> str:
    """Return a new password from stdin (one line) or from a hidden, confirmed prompt.

    Raises click.UsageError when stdin is not a terminal and --password-stdin was not given.
    """
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise click.UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _accounts() -> Accounts:
    """Return the accounts of this invocation's store."""
    return open_store().accounts


@click.group("user")
@data_options
def user_cmd() -> None:
    """Manage the accounts that sign in to the app (annotate serve --auth local)."""


@user_cmd.command("add")
@click.argument("login")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, reviewer, trainer or analyst; repeat for several.")
@click.option("--display-name", help="The name shown on the user's events (default: the login).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@data_options
def user_add_cmd(login: str, roles: tuple[str, ...], display_name: str | None, password_stdin: bool) -> None:
    """Add an account with one or more roles and a password."""
    parse_roles(roles)
    accounts = _accounts()
    if accounts.find(fold_login(login)) is not None:
        raise click.ClickException(f"there is already a user {fold_login(login)!r}: pick another login")
    encoded = hash_password(_read_password(password_stdin))
    user = accounts.add(login, roles, encoded, display_name=display_name, actor=_actor())
    click.echo(f"added user {user.login} ({user.display_name}) with roles {', '.join(sorted(user.roles))}")


@user_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@data_options
def user_list_cmd(as_json: bool) -> None:
    """List the accounts: login, display name, roles, and whether each is disabled."""
    users = _accounts().all()
    if as_json:
        click.echo(json.dumps([
            {"login": u.login, "display_name": u.display_name, "roles": sorted(u.roles), "disabled": u.disabled}
            for u in users], indent=2, ensure_ascii=False))
        return
    if not users:
        click.echo("no users yet: add one with `annotate user add NAME --role admin`")
        return
    for u in users:
        state = "  (disabled)" if u.disabled else ""
        click.echo(f"{u.login:<20} {u.display_name:<24} {','.join(sorted(u.roles))}{state}")


@user_cmd.command("passwd")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@data_options
def user_passwd_cmd(login: str, password_stdin: bool) -> None:
    """Set a new password for an account; its open sessions end."""
    accounts = _accounts()
    if accounts.find(login) is None:
        raise click.ClickException(f"no user {login!r}: see `annotate user list`")
    user = accounts.set_password(login, hash_password(_read_password(password_stdin)), actor=_actor())
    click.echo(f"new password set for {user.login}; their open sessions have ended")


@user_cmd.command("disable")
@click.argument("login")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@data_options
def user_disable_cmd(login: str, enable: bool) -> None:
    """Disable an account (it can no longer sign in; its open sessions end), or --enable it again."""
    user = _accounts().set_disabled(login, not enable, actor=_actor())
    click.echo(f"{user.login} is {'disabled' if user.disabled else 'enabled'}")
