"""The Users page under Streamlit's AppTest, and the admin actions it calls, on real SQLite store files.

Without sign-in (--auth none) the local user is an admin; with --auth oidc the page
runs as the account an identity provider's claims (``at.user``, what ``st.user``
reads) map to, so the same page is seen by an admin and refused to a reviewer.
What the page stores is read back from the store and its change log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from annotate.accounts import admin, passwords
from annotate.accounts.roles import LOCAL_USER, User
from annotate.errors import AccessDeniedError, ValidationError
from annotate.store import Store
from annotate.ui import services, signin

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
USERS_PAGE = str(ROOT / "annotate" / "ui" / "pages" / "users.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def app_store(data_dir, no_sample):
    signin.reset()
    yield services.store()
    signin.reset()


def users_page(**user) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        at.user = user
    at.run()
    at.switch_page("annotate/ui/pages/users.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_key(widgets, key: str):
    [widget] = [w for w in widgets if w.key == key]
    return widget


def changes(store: Store) -> list[tuple[str, str, str]]:
    return [(c.reviewer, c.action, c.entity_id) for c in reversed(store.history()) if c.entity == "user"]


def test_an_admin_adds_a_user_with_roles_and_a_password(app_store):
    at = users_page()
    assert at.title[0].value == "Users"
    by_key(at.text_input, "cx_user_add_login").input("Ana")
    by_key(at.text_input, "cx_user_add_name").input("Ana Lima")
    by_key(at.multiselect, "cx_user_add_roles").select("reviewer").select("analyst")
    by_key(at.text_input, "cx_user_add_password").input(PASSWORD)
    at.button[0].click().run()  # the add form's submit button is the page's first
    assert not at.exception and not at.error, [e.value for e in at.error]
    ana = app_store.accounts.find("ana")
    assert ana.display_name == "Ana Lima" and ana.roles == {"reviewer", "analyst"} and not ana.disabled
    assert passwords.verify(app_store.accounts.password_hash("ana"), PASSWORD)
    assert changes(app_store) == [("local", "create", str(ana.id))]
    assert "ana" in at.dataframe[0].value["Login"].tolist()
    assert any("Added ana" in s.value for s in at.success)


def test_an_admin_changes_roles_resets_a_password_and_disables(app_store):
    ana = app_store.accounts.add("ana", ["reviewer"], passwords.hash_password(PASSWORD), display_name="Ana Lima")
    at = users_page()
    by_key(at.selectbox, "cx_user_pick").select("ana")
    at.run()
    by_key(at.multiselect, "cx_user_roles_pick_ana").select("trainer").unselect("reviewer")
    next(b for b in at.button if b.label == "Save roles").click().run()
    assert app_store.accounts.find("ana").roles == {"trainer"}
    by_key(at.text_input, "cx_user_new_password_ana").input("a brand new secret")
    next(b for b in at.button if b.label == "Reset password").click().run()
    after = app_store.accounts.find("ana")
    assert passwords.verify(app_store.accounts.password_hash("ana"), "a brand new secret")
    assert after.epoch == ana.epoch + 1  # the old sessions end
    by_key(at.button, "cx_user_toggle_ana").click().run()
    assert app_store.accounts.find("ana").disabled
    assert [a for _, a, _ in changes(app_store)] == ["create", "update", "update", "update"]
    assert by_key(at.button, "cx_user_toggle_ana").label == "Enable ana"


def test_a_weak_password_is_refused_in_one_line_and_nothing_is_stored(app_store):
    at = users_page()
    by_key(at.text_input, "cx_user_add_login").input("bo")
    by_key(at.multiselect, "cx_user_add_roles").select("reviewer")
    by_key(at.text_input, "cx_user_add_password").input("short")
    at.button[0].click().run()
    assert [e.value.replace("\\", "") for e in at.error] == ["the password is shorter than 8 characters: choose a longer one"]
    assert app_store.accounts.find("bo") is None


def oidc_user(monkeypatch, groups: list[str], sub: str = "s-1", login: str = "ada") -> dict:
    monkeypatch.setenv("ANNOTATE_AUTH", "oidc")
    monkeypatch.setenv("ANNOTATE_OIDC_ROLES", "cx-admins=admin,cx-coders=reviewer")
    return {"is_logged_in": True, "iss": "https://idp.example", "sub": sub, "preferred_username": login,
            "name": login.title(), "groups": groups}


def test_with_oidc_an_admin_from_the_groups_claim_manages_users_under_their_login(app_store, monkeypatch):
    app_store.accounts.add("rui", ["reviewer"], passwords.hash_password(PASSWORD))
    at = users_page(**oidc_user(monkeypatch, ["cx-admins"]))
    ada = app_store.accounts.find("ada")
    assert ada.roles == {"admin"} and ada.external
    by_key(at.selectbox, "cx_user_pick").select("rui")
    at.run()
    by_key(at.button, "cx_user_toggle_rui").click().run()
    assert app_store.accounts.find("rui").disabled
    assert changes(app_store)[-1][:2] == ("ada", "update")  # the account, not a typed name
    by_key(at.selectbox, "cx_user_pick").select("ada")
    at.run()
    assert by_key(at.button, "cx_user_toggle_ada").disabled  # not yourself
    assert by_key(at.multiselect, "cx_user_roles_pick_ada").disabled  # the provider's groups set these


def test_the_users_page_refuses_a_reviewer(app_store, monkeypatch):
    user = oidc_user(monkeypatch, ["cx-coders"], sub="s-2", login="rita")
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = user
    at.run()
    with pytest.raises(ValueError, match=r"Known pages: \[.*library.py.*review.py.*play.py.*settings.py") as refused:
        at.switch_page("annotate/ui/pages/users.py")  # a reviewer's navigation has no Users page
    assert "users.py" not in str(refused.value).split("Known pages:")[1]
    page = AppTest.from_file(USERS_PAGE, default_timeout=60)
    page.user = user
    page.run()
    assert any("may not use this page" in w.value for w in page.warning)
    assert not page.text_input and not page.button and not page.dataframe


def test_admin_actions_check_the_actor_and_keep_an_admin(app_store):
    accounts = app_store.accounts
    boss = accounts.add("boss", ["admin"], passwords.hash_password(PASSWORD))
    rui = accounts.add("rui", ["reviewer"], passwords.hash_password(PASSWORD))
    for act in (lambda: admin.add_user(accounts, rui, "eve", ["admin"], PASSWORD),
                lambda: admin.set_roles(accounts, rui, "rui", ["admin"]),
                lambda: admin.reset_password(accounts, rui, "boss", PASSWORD),
                lambda: admin.set_disabled(accounts, rui, "boss")):
        with pytest.raises(AccessDeniedError):
            act()
    with pytest.raises(ValidationError, match="your own"):
        admin.set_disabled(accounts, boss, "boss")
    with pytest.raises(ValidationError, match="your own admin role"):
        admin.set_roles(accounts, boss, "boss", ["reviewer"])
    with pytest.raises(ValidationError, match="last enabled admin"):
        admin.set_roles(accounts, LOCAL_USER, "boss", ["reviewer"])
    assert accounts.find("boss").roles == {"admin"} and accounts.find("eve") is None
    assert isinstance(rui, User) and accounts.find("rui").roles == {"reviewer"}


def test_one_account_read_per_run_and_a_disable_ends_the_session_at_the_next_run(app_store, monkeypatch):
    user = oidc_user(monkeypatch, ["cx-coders"], sub="s-3", login="rui")
    reads = []
    accounts_type = type(app_store.accounts)
    real = accounts_type.find_external
    monkeypatch.setattr(accounts_type, "find_external", lambda self, ext: reads.append(ext) or real(self, ext))
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = user
    at.run()
    assert not at.exception and at.title[0].value == "Review"  # the start page switched to Review: two runs
    assert reads == ["https://idp.example|s-3"] * 2
    at.run()  # one run of Review asks who is signed in from the menu, the page, the sidebar, ...
    assert len(reads) == 3  # ... and reads the account once
    app_store.accounts.set_disabled("rui", True, actor="boss")
    at.run()
    assert [e.value for e in at.error] == ["your account is disabled: ask an admin"]
    assert not at.title and not at.get("video")
