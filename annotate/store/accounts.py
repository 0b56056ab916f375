"""The store's user accounts: who may sign in, with which roles.

Users are rows of the ``users`` table (migration 5). Logins are kept case-folded,
so ``Ana`` and ``ana`` are one account. Every change is written to the change log
(entity ``user``) with the account's fields but never its password hash; a
password change or a disable bumps the account's ``epoch``, which ends every
session cookie issued before it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..accounts.roles import User, parse_roles
from ..errors import DuplicateError, NotFoundError, ValidationError
from ..model import clean_text
from .schema import JSONText, UTCDateTime, metadata

if TYPE_CHECKING:
    from .store import Store

LOGIN_RE = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MAX_DISPLAY_NAME = 120

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("login", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("roles", JSONText, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("external_id", sa.String(255), nullable=True, unique=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("epoch", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def fold_login(login: str) -> str:
    """Return ``login`` as stored (trimmed, case-folded).

    Raises ValidationError for a login that is empty, too long, or holds anything
    but letters, digits and ``. _ @ -`` (starting with a letter or digit).
    """
    folded = str(login).strip().casefold()
    if not LOGIN_RE.fullmatch(folded):
        raise ValidationError(
            f"login {clean_text(str(login))[:64]!r} is not usable: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return folded


def _display_name(name: str | None, login: str) -> str:
    text = clean_text(name or "").strip() or login
    if len(text) > MAX_DISPLAY_NAME:
        raise ValidationError(f"the display name is longer than {MAX_DISPLAY_NAME} characters: shorten it")
    return text


def _user(row: Row) -> User:
    return User(
        id=row.id,
        login=row.login,
        display_name=row.display_name,
        roles=frozenset(row.roles or ()),
        disabled=bool(row.disabled),
        epoch=row.epoch,
        external=row.external_id is not None,
    )


def _logged(user: User) -> dict:
    return {"login": user.login, "display_name": user.display_name, "roles": sorted(user.roles),
            "disabled": user.disabled}


class Accounts:
    """The users of one store (``Store.accounts``)."""

    def __init__(self, store: Store):
        self._store = store

    def add(self, login: str, roles: Iterable[str], password_hash: str | None, *, display_name: str | None = None,
            external_id: str | None = None, actor: str = "") -> User:
        """Create and return an account.

        Raises ValidationError for a bad login, role or display name, DuplicateError when the login is taken.
        """
        name = fold_login(login)
        values = {"login": name, "display_name": _display_name(display_name, name),
                  "roles": sorted(parse_roles(roles)), "password_hash": password_hash,
                  "external_id": external_id, "disabled": False, "epoch": 0}
        with self._store._write(actor) as tx:
            if tx.conn.execute(sa.select(users.c.id).where(users.c.login == name)).first() is not None:
                raise DuplicateError(f"there is already a user {name!r}: pick another login or change that one")
            uid = tx.conn.execute(
                users.insert().values(**values, created_at=tx.now, updated_at=tx.now)
            ).inserted_primary_key[0]
            user = self._get(tx.conn, users.c.id == uid)
            tx.log("create", "user", user.id, None, None, _logged(user))
            return user

    def get(self, user_id: int) -> User:
        """Return the account with ``user_id``. Raises NotFoundError."""
        with self._store._read() as conn:
            return self._get(conn, users.c.id == int(user_id))

    def find(self, login: str) -> User | None:
        """Return the account with ``login`` (any case), or None."""
        try:
            name = fold_login(login)
        except ValidationError:
            return None
        with self._store._read() as conn:
            row = conn.execute(sa.select(users).where(users.c.login == name)).first()
        return None if row is None else _user(row)

    def find_external(self, external_id: str) -> User | None:
        """Return the account linked to identity-provider subject ``external_id``, or None."""
        with self._store._read() as conn:
            row = conn.execute(sa.select(users).where(users.c.external_id == external_id)).first()
        return None if row is None else _user(row)

    def password_hash(self, login: str) -> str | None:
        """Return the stored hash of ``login`` (None for no such user or no password)."""
        try:
            name = fold_login(login)
        except ValidationError:
            return None
        with self._store._read() as conn:
            return conn.execute(sa.select(users.c.password_hash).where(users.c.login == name)).scalar()

    def all(self) -> list[User]:
        """Return every account, by login."""
        with self._store._read() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.login))]

    def count(self) -> int:
        """Return how many accounts exist (disabled ones included)."""
        with self._store._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())

    def set_password(self, login: str, password_hash: str, actor: str = "") -> User:
        """Store a new hash for ``login`` and end its sessions; return the account. Raises NotFoundError."""
        return self._update(login, {"password_hash": password_hash}, actor, bump=True, note={"password": "changed"})

    def set_disabled(self, login: str, disabled: bool = True, actor: str = "") -> User:
        """Disable (or enable) ``login``, ending its sessions; return the account. Raises NotFoundError."""
        return self._update(login, {"disabled": bool(disabled)}, actor, bump=True)

    def set_roles(self, login: str, roles: Iterable[str], actor: str = "") -> User:
        """Replace the roles of ``login``; return the account. Raises NotFoundError, ValidationError."""
        return self._update(login, {"roles": sorted(parse_roles(roles))}, actor, bump=False)

    def set_display_name(self, login: str, display_name: str, actor: str = "") -> User:
        """Rename ``login`` for display; return the account. Raises NotFoundError, ValidationError."""
        name = fold_login(login)
        return self._update(name, {"display_name": _display_name(display_name, name)}, actor, bump=False)

    def _update(self, login: str, values: dict, actor: str, bump: bool, note: dict | None = None) -> User:
        name = fold_login(login)
        with self._store._write(actor) as tx:
            before = self._get(tx.conn, users.c.login == name)
            change = dict(values, updated_at=tx.now)
            if bump:
                change["epoch"] = users.c.epoch + 1
            tx.conn.execute(users.update().where(users.c.id == before.id).values(**change))
            after = self._get(tx.conn, users.c.id == before.id)
            tx.log("update", "user", after.id, None, _logged(before), {**_logged(after), **(note or {})})
            return after

    @staticmethod
    def _get(conn: Connection, where: sa.ColumnElement) -> User:
        row = conn.execute(sa.select(users).where(where)).first()
        if row is None:
            raise NotFoundError("no such user: see `annotate user list`")
        return _user(row)
