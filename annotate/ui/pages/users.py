"""Users page (admins only): the accounts, and adding, re-roling, resetting and disabling them.

Every button calls :mod:`annotate.accounts.admin`, which checks the signed-in
account's roles again and writes through the store (the change log names the admin).
"""

from __future__ import annotations

import streamlit as st

from annotate.accounts import admin
from annotate.accounts.mode import auth_mode
from annotate.accounts.roles import ROLES, User
from annotate.ui import access, common

_NOTICE = "cx_users_notice"


def page() -> None:
    """Render the Users page."""
    me = access.require("users")
    common.sidebar(common.reviewer())
    st.title("Users")
    if not access.accounts_on():
        st.info("Sign-in is off (--auth none): these accounts sign in once the server runs with --auth local.",
                icon=":material/info:")
    elif auth_mode() == "oidc":
        st.caption("People sign in with the identity provider: their account is made at their first sign-in and "
                   "their roles follow its groups. Accounts with a password here sign in under --auth local.")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.success(notice)
    with common.guard():
        accounts = common.store().accounts
        users = accounts.all()
        _table(users)
        _add(accounts, me)
        if users:
            st.divider()
            _change(accounts, me, users)


def _table(users: list[User]) -> None:
    if not users:
        st.info("No accounts yet: add the first one below (give it the admin role).")
        return
    st.dataframe(
        [{"Login": u.login, "Name": u.display_name, "Roles": ", ".join(sorted(u.roles)),
          "Signs in with": "identity provider" if u.external else "password",
          "State": "disabled" if u.disabled else "active"} for u in users],
        hide_index=True, width="stretch",
    )


def _done(message: str) -> None:
    st.session_state[_NOTICE] = message
    st.rerun()


def _add(accounts, me: User) -> None:
    st.subheader("Add a user")
    with st.form("cx_user_add", clear_on_submit=True):
        c1, c2 = st.columns(2)
        login = c1.text_input("Login", key="cx_user_add_login", max_chars=64)
        name = c2.text_input("Display name (on their events)", key="cx_user_add_name", max_chars=120)
        roles = st.multiselect("Roles", ROLES, key="cx_user_add_roles")
        password = st.text_input("Password", type="password", key="cx_user_add_password")
        ok = st.form_submit_button("Add user", type="primary")
    if ok:
        user = admin.add_user(accounts, access.require("users"), login, roles, password, name)
        _done(f"Added {user.login} ({', '.join(sorted(user.roles))}).")


def _change(accounts, me: User, users: list[User]) -> None:
    st.subheader("Change a user")
    by_login = {u.login: u for u in users}
    login = st.selectbox("User", list(by_login), key="cx_user_pick")
    target = by_login[login]
    with st.form(f"cx_user_roles_{target.login}"):
        roles = st.multiselect("Roles", ROLES, default=sorted(target.roles), key=f"cx_user_roles_pick_{target.login}",
                               disabled=target.external,
                               help="Set by the identity provider's groups" if target.external else None)
        if st.form_submit_button("Save roles", disabled=target.external):
            changed = admin.set_roles(accounts, access.require("users"), target.login, roles)
            _done(f"{changed.login} now has roles {', '.join(sorted(changed.roles))}.")
    if not target.external:
        with st.form(f"cx_user_password_{target.login}", clear_on_submit=True):
            password = st.text_input("New password", type="password", key=f"cx_user_new_password_{target.login}")
            if st.form_submit_button("Reset password"):
                changed = admin.reset_password(accounts, access.require("users"), target.login, password)
                _done(f"New password set for {changed.login}; their open sessions have ended.")
    label = "Enable" if target.disabled else "Disable"
    if st.button(f"{label} {target.login}", key=f"cx_user_toggle_{target.login}", disabled=target.id == me.id):
        changed = admin.set_disabled(accounts, access.require("users"), target.login, not target.disabled)
        _done(f"{changed.login} is {'disabled: their open sessions have ended' if changed.disabled else 'enabled'}.")


if __name__ == "__main__":  # run by st.navigation as a page script
    page()
