"""Password rules and hashing, TOTP steps and recovery codes (pure helpers, no app)."""

from __future__ import annotations

import time

import pyotp
import pytest

from volunteer_app.accounts import passwords, twofactor

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_hashes_are_argon2id_with_rfc9106_parameters():
    hashed = passwords.hash_password("a long enough phrase")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # The dummy hash for unknown addresses costs exactly as much to verify.
    assert passwords.DUMMY_HASH.split("$")[3] == hashed.split("$")[3]
    assert not passwords.needs_rehash(hashed)
    assert passwords.verify_password(hashed, "a long enough phrase")
    assert not passwords.verify_password(hashed, "a long enough phrasE")
    assert not passwords.verify_password("not a hash", "anything")


def test_the_same_characters_typed_differently_match():
    hashed = passwords.hash_password("Café au lait 2026")  # composed é
    assert passwords.verify_password(hashed, "Cafe\u0301 au lait 2026")  # e + combining accent
    assert passwords.verify_password(hashed, "Café au lait ２０２６")  # full-width digits


@pytest.mark.parametrize(
    ("password", "email", "fine"),
    [
        ("x" * 7, None, False),
        ("kq8#Lm2z", None, True),  # 8 characters, not common
        ("z" * 128, None, True),
        ("z" * 129, None, False),
        ("password", None, False),
        ("PassWord1", None, False),  # common lists are case-insensitive
        ("only lowercase words here", None, True),  # no composition rules
        ("anna@example.org", "anna@example.org", False),
        (" ANNA@example.org", "anna@example.org", False),
        ("anna@example.org!", "anna@example.org", True),
    ],
)
def test_password_rules(password, email, fine):
    assert (passwords.problem(password, email) is None) is fine


def test_common_password_list_is_shipped():
    assert passwords.is_common("123456789")
    assert passwords.is_common("Iloveyou")
    assert not passwords.is_common("sunflowers in the garden of erfurt")


def test_totp_step_window_and_replay():
    now = time.time()
    totp = pyotp.TOTP(SECRET)
    step = totp.timecode(now)
    assert twofactor.matching_step(SECRET, totp.at(now), now=now) == step
    assert twofactor.matching_step(SECRET, totp.at(now - 30), now=now) == step - 1
    assert twofactor.matching_step(SECRET, totp.at(now + 30), now=now) == step + 1
    assert twofactor.matching_step(SECRET, totp.at(now - 60), now=now) is None
    # A step at or before the last one used does not count again.
    assert twofactor.matching_step(SECRET, totp.at(now), after=step, now=now) is None
    assert twofactor.matching_step(SECRET, totp.at(now + 30), after=step, now=now) == step + 1
    for bad in ("", "12345", "1234567", "abcdef", None):
        assert twofactor.matching_step(SECRET, bad, now=now) is None
    assert twofactor.matching_step("", totp.at(now), now=now) is None


def test_recovery_codes_are_random_and_compared_normalised():
    codes = twofactor.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    code = codes[0]
    assert twofactor.hash_recovery_code(code) == twofactor.hash_recovery_code(
        " " + code.upper().replace("-", " ") + " "
    )
    assert twofactor.hash_recovery_code(code) != twofactor.hash_recovery_code(codes[1])
    assert len(twofactor.hash_recovery_code(code)) == 64


def test_qr_code_is_an_inline_svg():
    uri = twofactor.provisioning_uri(SECRET, "anna@example.org")
    assert uri.startswith("otpauth://totp/ThEKiZ%20Ehrenamt:anna%40example.org?secret=")
    assert twofactor.qr_data_uri(uri).startswith("data:image/svg+xml")
    assert len(twofactor.new_secret()) == 32
