"""TOTP set-up and login, replay protection, recovery codes, and who may switch it off."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.factories import make_user
from tests.factories_accounts import (
    TOTP_SECRET,
    code_after_now,
    fresh,
    login,
    make_totp_user,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from volunteer_app.accounts.models import RecoveryCode, User
from volunteer_app.accounts.twofactor import hash_recovery_code


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def _pending_secret(client) -> str:
    with client.session_transaction() as sess:
        return sess["totp_pending"]


def test_volunteer_sets_up_totp_and_sees_recovery_codes_once(client, conn, login_as):
    user = make_user()
    login_as(user)
    page = client.get("/konto/zwei-faktor/einrichten")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in body
    secret = _pending_secret(client)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in body
    assert fresh(user).totp_secret is None  # GET changes nothing in the database
    # The secret stays the same across reloads until it is confirmed.
    client.get("/konto/zwei-faktor/einrichten")
    assert _pending_secret(client) == secret

    response = client.post("/konto/zwei-faktor/einrichten", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    enabled = fresh(user)
    assert enabled.has_totp and enabled.totp_secret == secret
    assert enabled.totp_last_step is not None
    stored = {r.code_hash for r in RecoveryCode.select().where(RecoveryCode.user == user.id)}
    assert stored == {hash_recovery_code(c) for c in codes}
    assert not any(c in h for c in codes for h in stored)
    with client.session_transaction() as sess:
        assert sess["mfa_ok"] is True and "totp_pending" not in sess
    # Shown once: afterwards the set-up page only says it is on.
    again = client.get("/konto/zwei-faktor/einrichten")
    assert again.headers["Location"] == "/konto/"
    profile = client.get("/konto/").get_data(as_text=True)
    assert "You have 10 unused recovery codes." in profile


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Please enter the code"),
        ("12345", "six digits"),
        ("1234567", "six digits"),
        ("12a456", "six digits"),
        ("000000", "not correct"),
    ],
)
def test_wrong_setup_code_switches_nothing_on(client, conn, login_as, code, message):
    user = make_user()
    login_as(user)
    client.get("/konto/zwei-faktor/einrichten")
    secret = _pending_secret(client)
    if code == "000000" and pyotp.TOTP(secret).verify("000000", valid_window=1):
        pytest.skip("the random secret happens to produce 000000 right now")
    response = client.post("/konto/zwei-faktor/einrichten", data={"code": code})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert not fresh(user).has_totp
    assert RecoveryCode.select().count() == 0


def test_code_with_spaces_is_accepted(client, conn, login_as):
    login_as(make_user())
    client.get("/konto/zwei-faktor/einrichten")
    code = pyotp.TOTP(_pending_secret(client)).now()
    response = client.post(
        "/konto/zwei-faktor/einrichten", data={"code": f" {code[:3]} {code[3:]} "}
    )
    assert response.status_code == 200
    assert User.get().has_totp


def test_staff_sets_up_totp_after_password_and_may_then_continue(client, conn):
    make_user(role="coordinator", email="staff@example.org")
    response = login(client, "staff@example.org", next="/zentren/")
    assert response.headers["Location"] == "/konto/zwei-faktor/einrichten?next=/zentren/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next"' in page
    code = pyotp.TOTP(_pending_secret(client)).now()
    done = client.post("/konto/zwei-faktor/einrichten", data={"code": code, "next": "/zentren/"})
    assert done.status_code == 200
    assert 'href="/zentren/"' in done.get_data(as_text=True)
    assert client.get("/konto/").status_code == 200


def test_login_with_totp_needs_a_valid_code(client, conn):
    make_totp_user(email="anna@example.org")
    response = login(client, "anna@example.org", next="/konto/")
    assert response.headers["Location"] == "/konto/zwei-faktor?next=/konto/"
    assert client.get("/konto/").headers["Location"].startswith("/konto/zwei-faktor")
    wrong = client.post("/konto/zwei-faktor", data={"code": "99999x", "next": "/konto/"})
    assert wrong.status_code == 200
    assert client.get("/konto/").status_code == 302
    ok = client.post("/konto/zwei-faktor", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert ok.status_code == 302
    with client.session_transaction() as sess:
        assert sess["mfa_ok"] is True
    assert client.get("/konto/").status_code == 200


def test_code_from_the_previous_step_is_accepted_but_not_two_steps_back(client, conn):
    make_totp_user(email="anna@example.org")
    login(client, "anna@example.org")
    too_old = pyotp.TOTP(TOTP_SECRET).at(time.time() - 90)
    assert client.post("/konto/zwei-faktor", data={"code": too_old}).status_code == 200
    previous = pyotp.TOTP(TOTP_SECRET).at(time.time() - 30)
    assert client.post("/konto/zwei-faktor", data={"code": previous}).status_code == 302


def test_a_code_works_only_once(app, client, conn):
    user = make_totp_user(email="anna@example.org")
    code = pyotp.TOTP(TOTP_SECRET).now()
    login(client, "anna@example.org")
    assert client.post("/konto/zwei-faktor", data={"code": code}).status_code == 302
    step = fresh(user).totp_last_step
    # An attacker who saw the code and knows the password cannot use it again.
    attacker = app.test_client()
    login(attacker, "anna@example.org")
    replay = attacker.post("/konto/zwei-faktor", data={"code": code})
    assert replay.status_code == 200
    assert "schon benutzt" in replay.get_data(as_text=True)
    assert attacker.get("/konto/").status_code == 302
    assert fresh(user).totp_last_step == step
    # The next time step's code works.
    assert attacker.post("/konto/zwei-faktor", data={"code": code_after_now()}).status_code == 302


def test_totp_attempts_are_rate_limited(client, conn):
    make_totp_user(email="anna@example.org")
    login(client, "anna@example.org")
    for _ in range(10):
        assert client.post("/konto/zwei-faktor", data={"code": "000000"}).status_code in (200, 302)
    assert client.post("/konto/zwei-faktor", data={"code": "000000"}).status_code == 429


def test_recovery_code_logs_in_once(app, client, conn):
    codes = ["abcde-fghjk", "mnpqr-stuvw"]
    make_totp_user(email="anna@example.org", codes=codes)
    login(client, "anna@example.org")
    response = client.post(
        "/konto/wiederherstellung", data={"code": " ABCDE FGHJK ", "next": "/konto/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/"
    page = client.get("/konto/").get_data(as_text=True)
    assert "You have 1 code left." in page
    again = app.test_client()
    login(again, "anna@example.org")
    refused = again.post("/konto/wiederherstellung", data={"code": "abcde-fghjk"})
    assert refused.status_code == 200
    assert "stimmt nicht oder wurde schon benutzt" in refused.get_data(as_text=True)
    assert again.get("/konto/").status_code == 302
    assert again.post("/konto/wiederherstellung", data={"code": "mnpqr-stuvw"}).status_code == 302


def test_recovery_codes_of_another_user_do_not_work(client, conn):
    make_totp_user(email="other@example.org", codes=["abcde-fghjk"])
    make_totp_user(email="anna@example.org", codes=["zzzzz-zzzzz"])
    login(client, "anna@example.org")
    response = client.post("/konto/wiederherstellung", data={"code": "abcde-fghjk"})
    assert response.status_code == 200
    assert RecoveryCode.select().where(RecoveryCode.used_at.is_null(False)).count() == 0


@pytest.mark.parametrize("code", ["", "x" * 41, "abcde\x00fghjk"])
def test_bad_recovery_code_input_is_a_form_error(client, conn, code):
    make_totp_user(email="anna@example.org", codes=["abcde-fghjk"])
    login(client, "anna@example.org")
    response = client.post("/konto/wiederherstellung", data={"code": code})
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)


def test_half_logged_in_user_cannot_replace_the_secret(client, conn):
    user = make_totp_user(role="coordinator", email="staff@example.org")
    login(client, "staff@example.org")
    response = client.get("/konto/zwei-faktor/einrichten")
    assert response.headers["Location"].startswith("/konto/zwei-faktor?")
    client.post("/konto/zwei-faktor/einrichten", data={"code": "123456"})
    assert fresh(user).totp_secret == TOTP_SECRET


def test_staff_cannot_switch_totp_off(client, conn, login_as):
    user = make_totp_user(role="coordinator")
    login_as(user)
    page = client.get("/konto/zwei-faktor/ausschalten").get_data(as_text=True)
    assert "cannot switch this off" in page
    response = client.post("/konto/zwei-faktor/ausschalten")
    assert response.status_code == 302
    assert fresh(user).has_totp
    assert "cannot switch this off" in client.get("/konto/").get_data(as_text=True)


def test_volunteer_switches_totp_off(client, conn, login_as):
    user = make_totp_user(codes=["abcde-fghjk"])
    login_as(user)
    assert client.post("/konto/zwei-faktor/ausschalten").status_code == 302
    off = fresh(user)
    assert not off.has_totp and off.totp_secret is None
    assert RecoveryCode.select().count() == 0
    assert "Set up two-factor authentication" in client.get("/konto/").get_data(as_text=True)


def test_new_recovery_codes_replace_the_old_ones(client, conn, login_as):
    user = make_totp_user(codes=["abcde-fghjk"])
    login_as(user)
    response = client.post("/konto/zwei-faktor/wiederherstellungscodes")
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == 10
    stored = {r.code_hash for r in RecoveryCode.select()}
    assert stored == {hash_recovery_code(c) for c in codes}
    assert hash_recovery_code("abcde-fghjk") not in stored


def test_totp_pages_need_a_login(client, conn):
    for path in (
        "/konto/zwei-faktor",
        "/konto/zwei-faktor/einrichten",
        "/konto/wiederherstellung",
        "/konto/zwei-faktor/ausschalten",
        "/konto/zwei-faktor/wiederherstellungscodes",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/konto/anmelden"), path


def test_volunteer_without_totp_is_not_asked_for_a_code(client, conn):
    make_user(email="anna@example.org")
    assert login(client, "anna@example.org").headers["Location"] == "/"
    assert (
        client.get("/konto/zwei-faktor")
        .headers["Location"]
        .startswith("/konto/zwei-faktor/einrichten")
    )


def test_totp_attempts_are_limited_per_account_across_ip_addresses(app, client, conn):
    make_totp_user(email="anna@example.org")
    login(client, "anna@example.org")
    for n in range(10):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"
        assert client.post("/konto/zwei-faktor", data={"code": "000000"}).status_code in (200, 302)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert client.post("/konto/zwei-faktor", data={"code": "000000"}).status_code == 429
    # Another account from that address is not affected.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    make_totp_user(email="bert@example.org")
    login(other, "bert@example.org")
    assert other.post("/konto/zwei-faktor", data={"code": "000000"}).status_code == 200
