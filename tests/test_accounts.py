"""Accounts, roles, passwords, session cookies and sign-in limits, against real SQLite store files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from itsdangerous import timed

from annotate.accounts import passwords
from annotate.accounts.claims import identity, parse_role_map, roles_from_claims
from annotate.accounts.limits import AttemptLimiter
from annotate.accounts.roles import LOCAL_USER, allowed, parse_roles
from annotate.accounts.sessions import COOKIE_NAME, SessionSigner, load_secret
from annotate.accounts.signin import Gate
from annotate.errors import DuplicateError, NotFoundError, SignInError, TooManyAttemptsError, ValidationError
from annotate.store import Store
from annotate.store.accounts import Accounts
from annotate.testing.databases import backend_id, empty_database, raw_rows, server_urls

SECRET = "0123456789abcdef-test-secret"


@pytest.fixture(params=server_urls(), ids=backend_id)
def db(request, tmp_path):
    with empty_database(request.param, tmp_path) as url, Store(url) as store:
        yield store, url


@pytest.fixture
def gate(db):
    store, _ = db
    accounts = Accounts(store)
    accounts.add("Ana", ["reviewer"], passwords.hash_password("correct horse"), display_name="Ana Lima")
    return Gate(accounts, SessionSigner(SECRET))


def test_roles_grant_their_pages_and_admin_everything():
    assert allowed({"reviewer"}, "mark") and not allowed({"reviewer"}, "analyse")
    assert allowed({"analyst"}, "export") and not allowed({"analyst"}, "mark")
    assert allowed({"trainer"}, "play") and not allowed({"trainer"}, "codebook")
    assert all(allowed({"admin"}, action) for action in ("mark", "export", "users", "settings", "codebook"))
    assert LOCAL_USER.can("users")
    with pytest.raises(KeyError):
        allowed({"admin"}, "no-such-action")


def test_parse_roles_refuses_unknown_and_empty():
    assert parse_roles(["Reviewer", "analyst,trainer"]) == {"reviewer", "analyst", "trainer"}
    with pytest.raises(ValidationError, match="unknown role 'boss'"):
        parse_roles(["boss"])
    with pytest.raises(ValidationError, match="at least one role"):
        parse_roles([" "])


def test_password_hash_is_argon2id_and_verifies_only_the_password():
    encoded = passwords.hash_password("correct horse")
    assert encoded.startswith("$argon2id$")
    assert passwords.verify(encoded, "correct horse")
    assert not passwords.verify(encoded, "correct horsE")
    assert not passwords.verify(None, "correct horse")
    assert not passwords.verify(encoded, "x" * 5000)
    with pytest.raises(ValidationError, match="shorter than 8"):
        passwords.hash_password("short")


def test_accounts_are_stored_case_folded_and_unique(db):
    store, url = db
    accounts = Accounts(store)
    ana = accounts.add("Ana", ["reviewer", "analyst"], passwords.hash_password("correct horse"))
    assert (ana.login, ana.display_name, ana.roles) == ("ana", "ana", {"reviewer", "analyst"})
    assert accounts.find("ANA") == ana
    with pytest.raises(DuplicateError, match="already a user 'ana'"):
        accounts.add("aNa", ["trainer"], None)
    with pytest.raises(ValidationError, match="not usable"):
        accounts.add("bad name", ["trainer"], None)
    assert raw_rows(url, "select login, roles, disabled from users") == [("ana", '["analyst", "reviewer"]', False)]


def test_change_log_records_accounts_but_never_a_password_hash(db):
    store, url = db
    accounts = Accounts(store)
    accounts.add("bo", ["trainer"], passwords.hash_password("first password"), actor="root")
    accounts.set_password("bo", passwords.hash_password("second password"), actor="root")
    accounts.set_disabled("bo", True, actor="root")
    logged = raw_rows(url, "select reviewer, action, entity, before, after from change_log order by id")
    assert [(r[0], r[1], r[2]) for r in logged] == [("root", "create", "user")] + [("root", "update", "user")] * 2
    assert '"password": "changed"' in logged[1][4]
    text = repr(logged)
    assert "$argon2" not in text and "first password" not in text and "second password" not in text
    [(stored,)] = raw_rows(url, "select password_hash from users")
    assert passwords.verify(stored, "second password")


def test_sign_in_issues_a_cookie_that_names_the_account(gate):
    user, cookie = gate.sign_in("ANA", "correct horse", "10.0.0.1")
    assert user.display_name == "Ana Lima"
    assert gate.user_for(cookie) == user


@pytest.mark.parametrize("login,password", [("ana", "wrong horse"), ("nobody", "correct horse")])
def test_wrong_name_or_password_gets_one_message(gate, login, password):
    with pytest.raises(SignInError, match="wrong name or password"):
        gate.sign_in(login, password, "10.0.0.1")


def test_forged_altered_and_missing_cookies_are_refused(gate):
    _, cookie = gate.sign_in("ana", "correct horse", "10.0.0.1")
    other = SessionSigner("another-secret-of-16+chars").issue(1, 0)
    altered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    for bad in (None, "", other, altered, "1.0"):
        with pytest.raises(SignInError):
            gate.user_for(bad)


def test_expired_cookie_is_refused(gate, monkeypatch):
    _, cookie = gate.sign_in("ana", "correct horse", "10.0.0.1")
    later = timed.time.time() + gate.signer.max_age_s + 5
    monkeypatch.setattr(timed.time, "time", lambda: later)
    with pytest.raises(SignInError, match="expired"):
        gate.user_for(cookie)


def test_password_change_and_disable_end_old_sessions(gate):
    _, cookie = gate.sign_in("ana", "correct horse", "10.0.0.1")
    gate.accounts.set_password("ana", passwords.hash_password("new horse battery"))
    with pytest.raises(SignInError, match="password changed"):
        gate.user_for(cookie)
    _, cookie = gate.sign_in("ana", "new horse battery", "10.0.0.1")
    gate.accounts.set_disabled("ana")
    with pytest.raises(SignInError, match="disabled"):
        gate.user_for(cookie)
    with pytest.raises(SignInError, match="wrong name or password"):
        gate.sign_in("ana", "new horse battery", "10.0.0.1")


def test_failed_sign_ins_are_limited_per_name_and_per_address(gate):
    for _ in range(5):
        with pytest.raises(SignInError):
            gate.sign_in("ana", "guess", "10.0.0.9")
    with pytest.raises(TooManyAttemptsError, match="wait"):
        gate.sign_in("ana", "correct horse", "10.0.0.2")  # the name is locked from any address
    with pytest.raises(TooManyAttemptsError):
        gate.sign_in("someone", "x", "10.0.0.9")  # and the address for any name


def test_limiter_window_slides():
    now = [1000.0]
    limiter = AttemptLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    limiter.failed("a", "ip")
    now[0] += 30
    limiter.failed("a", "ip")
    with pytest.raises(TooManyAttemptsError) as err:
        limiter.check("a", "other-ip")
    assert err.value.retry_after_s == pytest.approx(30)
    now[0] += 31
    limiter.check("a", "other-ip")
    limiter.succeeded("a")
    limiter.check("a", "x")


def test_cookie_header_is_httponly_strict_and_expiring():
    header = SessionSigner(SECRET, max_age_s=600).cookie_header("v")
    assert header.startswith(f"{COOKIE_NAME}=v;")
    assert {"HttpOnly", "SameSite=Strict", "Max-Age=600", "Path=/"} <= set(p.strip() for p in header.split(";"))


def test_secret_is_created_once_private_and_overridable(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNOTATE_SECRET", raising=False)
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first and len(first) >= 48
    assert stat.S_IMODE((tmp_path / "session.key").stat().st_mode) == 0o600
    monkeypatch.setenv("ANNOTATE_SECRET", "from-the-environment")
    assert load_secret(tmp_path) == "from-the-environment"


def test_claims_map_groups_to_roles():
    role_map = parse_role_map("cx-admins=admin, cx-coders=reviewer; cx-coders=analyst")
    assert roles_from_claims({"groups": ["cx-coders", "other"]}, role_map) == {"reviewer", "analyst"}
    assert roles_from_claims({"groups": "cx-admins other"}, role_map) == {"admin"}
    assert roles_from_claims({}, role_map) == frozenset()
    with pytest.raises(ValidationError, match="unknown role"):
        parse_role_map("g=boss")
    assert identity({"sub": "42", "iss": "https://idp", "email": "Ana.Lima@Example.com", "name": "Ana"}) == (
        "https://idp|42", "ana.lima@example.com", "Ana")
    with pytest.raises(ValidationError, match="no subject"):
        identity({"email": "a@b"})


def test_unknown_account_id_is_not_found(db):
    store, _ = db
    with pytest.raises(NotFoundError):
        Accounts(store).get(99)


def test_auth_none_is_refused_off_localhost(monkeypatch):
    from annotate.accounts.mode import auth_mode, check_listen
    from annotate.errors import AnnotateError

    for host in ("localhost", "127.0.0.1", "::1", "[::1]"):
        check_listen("none", host)
    for host in ("0.0.0.0", "192.168.1.5", "example.org", ""):
        with pytest.raises(AnnotateError, match="annotate user add NAME --role admin"):
            check_listen("none", host)
    check_listen("local", "0.0.0.0")
    monkeypatch.setenv("ANNOTATE_AUTH", "Local")
    assert auth_mode() == "local"
    monkeypatch.setenv("ANNOTATE_AUTH", "ldap")
    with pytest.raises(AnnotateError, match="not one of none, local"):
        auth_mode()


def _marked_and_undone(store: Store, url: str, folder: Path, reviewer: str) -> tuple[list, list]:
    from annotate.app import review
    from annotate.app.recordings import add_recording
    from annotate.config import Settings
    from annotate.testing import make_clip

    settings = Settings(data_dir=folder / "lib", db_url=url).ensure_dirs()
    clip = make_clip(folder / f"c-{len(store.list_recordings())}.mp4", width=64, height=48, fps=25, n_frames=25,
                     audio=False, seed=len(store.list_recordings()))
    rec, _ = add_recording(store, settings, clip)
    event = review.mark(store, rec, "moment_of_truth", 0.2, reviewer)
    review.save_details(store, event.id, event.version, reviewer, label="Greeting")
    review.undo_last(store, rec.id, reviewer)  # this reviewer's latest change: the label
    events = raw_rows(url, f"select reviewer, label from events where recording_id = {rec.id}")
    log = raw_rows(url, f"select reviewer, action from change_log where recording_id = {rec.id} and entity = 'event' "
                        "order by id")
    return events, log


def test_the_change_log_records_the_account_and_events_the_display_name(db, tmp_path):
    store, url = db
    ana = Accounts(store).add("ana", ["reviewer"], None, display_name="Ana Lima")
    events, log = _marked_and_undone(store, url, tmp_path, ana.reviewer)
    assert events == [("Ana Lima", "")]  # the undo found ana's edit by her login
    assert log == [("ana", "create"), ("ana", "update"), ("ana", "undo")]
    events, log = _marked_and_undone(store, url, tmp_path, "Tess")  # --auth none: a typed name is both, as before
    assert events == [("Tess", "")] and log == [("Tess", "create"), ("Tess", "update"), ("Tess", "undo")]


def test_provider_claims_make_an_account_once_and_keep_its_roles_in_step(db):
    from annotate.accounts.oidc import ClaimRules, account_for

    store, url = db
    accounts = Accounts(store)
    accounts.add("ana", ["analyst"], passwords.hash_password("correct horse"))  # a local account named ana
    rules = ClaimRules(parse_role_map("cx-coders=reviewer,cx-leads=admin"))
    claims = {"iss": "https://idp", "sub": "42", "preferred_username": "Ana", "name": "Ana Lima", "groups": ["cx-coders"]}
    first = account_for(accounts, claims, rules)
    assert (first.login, first.display_name, first.roles, first.external) == ("ana-2", "Ana Lima", {"reviewer"}, True)
    assert account_for(accounts, claims, rules) == first and accounts.count() == 2  # found again, not made again
    promoted = account_for(accounts, {**claims, "groups": ["cx-coders", "cx-leads"]}, rules)
    assert promoted.id == first.id and promoted.roles == {"reviewer", "admin"}
    assert raw_rows(url, "select reviewer, action from change_log where entity = 'user' order by id")[-2:] == [
        ("oidc", "create"), ("oidc", "update")]
    assert account_for(accounts, {**claims, "groups": ["sales"]}, rules).roles == frozenset()  # no mapped group
    assert accounts.find("ana-2").roles == {"reviewer", "admin"}  # ... does not wipe the stored roles
    accounts.set_disabled("ana-2", True, actor="boss")
    with pytest.raises(SignInError, match="disabled"):
        account_for(accounts, claims, rules)
    nobody = account_for(accounts, {"iss": "https://idp", "sub": "7", "email": "eve@x.org", "groups": []}, rules)
    assert nobody.roles == frozenset() and nobody.id == 0 and accounts.count() == 2
    assert not passwords.verify(accounts.password_hash("ana-2"), "")  # no password: cannot sign in locally
