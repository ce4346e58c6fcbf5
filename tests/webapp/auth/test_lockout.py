"""Failed sign-ins slow an address and lock an email address, but cannot lock staff out.

The proxy setting decides which address is counted: NERVETRACK_PROXY_HOPS proxies' worth of
X-Forwarded-For is trusted, never more.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.support.web import STAFF_PASSWORD, login
from webapp.auth import throttle
from webapp.auth.throttle import MAX_ADDRESS_DELAY, address_delay
from webapp.models import LoginFailure, utcnow

PROXY = "10.0.0.1"
ATTACKER = "203.0.113.66"
STAFF_ADDRESS = "192.0.2.10"
STAFF_EMAIL = "clinician@clinic.test"
ATTEMPTS = 20  # the default LOGIN_MAX_FAILURES_PER_ADDRESS


@pytest.fixture
def hops():
    return 0


@pytest.fixture
def app_config(app_config, hops):
    return {**app_config, "PROXY_HOPS": hops}


def _from(client, remote: str, forwarded: str | None = None):
    """Make the client's requests arrive from `remote`, with this X-Forwarded-For, if any."""
    client.environ_base["REMOTE_ADDR"] = remote
    client.environ_base.pop("HTTP_X_FORWARDED_FOR", None)
    if forwarded is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return client


def _attack(app, remote: str, forwarded) -> None:
    """ATTEMPTS sign-ins with made-up email addresses, all from one client."""
    client = app.test_client()
    for i in range(ATTEMPTS):
        _from(client, remote, forwarded(i))
        response = login(client, f"made-up-{i}@clinic.test", "not anyone's password")
        assert response.status_code == 401


def _failure_addresses(db) -> set[str]:
    db.expire_all()
    return set(db.exec(select(LoginFailure.ip)).all())


SCENARIOS = [
    # hops, attacker's socket address, X-Forwarded-For per attempt, staff's socket address and
    # X-Forwarded-For, and the address the attacker's failures must be counted against.
    pytest.param(1, PROXY, lambda i: f"198.51.100.{i}, {ATTACKER}", PROXY, STAFF_ADDRESS,
                 ATTACKER, id="behind-proxy-forged-header-varies"),
    pytest.param(1, PROXY, lambda i: ATTACKER, PROXY, STAFF_ADDRESS, ATTACKER,
                 id="behind-proxy-plain"),
    pytest.param(0, ATTACKER, lambda i: f"198.51.100.{i}", STAFF_ADDRESS, None, ATTACKER,
                 id="direct-forged-header-ignored"),
    pytest.param(2, PROXY, lambda i: f"198.51.100.{i}, {ATTACKER}, 10.9.9.9", PROXY,
                 f"{STAFF_ADDRESS}, 10.9.9.9", ATTACKER, id="behind-two-proxies"),
]


@pytest.mark.parametrize(("hops", "attacker", "forwarded", "staff_remote", "staff_forwarded",
                          "counted"), SCENARIOS)
def test_made_up_emails_from_one_address_never_stop_staff_elsewhere(
        app, db, make_staff, attacker, forwarded, staff_remote, staff_forwarded, counted):
    make_staff("clinician")
    _attack(app, attacker, forwarded)
    assert _failure_addresses(db) == {counted}
    staff = _from(app.test_client(), staff_remote, staff_forwarded)
    assert login(staff, STAFF_EMAIL, STAFF_PASSWORD).status_code == 302
    assert staff.get("/clinic/patients").status_code == 200
    # The attacker's own address is slowed down (more failures: a longer wait), not locked.
    db.add_all([LoginFailure(email=f"more-{i}@clinic.test", ip=counted) for i in range(5)])
    db.commit()
    again = login(_from(app.test_client(), attacker, forwarded(99)), "x@clinic.test", "guess")
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= address_delay(ATTEMPTS + 5, ATTEMPTS)
    assert "from your network" in again.get_data(as_text=True)


@pytest.mark.parametrize("hops", [0])
def test_behind_a_proxy_with_hops_0_everyone_waits_briefly_but_no_one_is_locked(
        app, db, make_staff, hops):
    """Misconfigured: every request seems to come from the proxy, so the slow-down is shared.

    Staff wait at most MAX_ADDRESS_DELAY seconds after the latest failure; their account is
    never locked by others' failures, and after the wait the right password signs them in.
    """
    make_staff("clinician")
    _attack(app, PROXY, lambda i: ATTACKER)
    assert _failure_addresses(db) == {PROXY}
    staff = _from(app.test_client(), PROXY, STAFF_ADDRESS)
    waiting = login(staff, STAFF_EMAIL, STAFF_PASSWORD)
    assert waiting.status_code == 429
    retry_after = int(waiting.headers["Retry-After"])
    assert 0 < retry_after <= MAX_ADDRESS_DELAY
    assert "from your network" in waiting.get_data(as_text=True)
    for row in db.exec(select(LoginFailure)).all():  # let Retry-After seconds pass
        row.at -= timedelta(seconds=retry_after)
    db.commit()
    assert login(staff, STAFF_EMAIL, STAFF_PASSWORD).status_code == 302


def test_failures_lock_only_the_email_address_they_were_typed_with(app, db, make_staff):
    make_staff("clinician")
    make_staff("coordinator")
    attacker = _from(app.test_client(), ATTACKER)
    for _ in range(5):
        assert login(attacker, STAFF_EMAIL, "wrong password here").status_code == 401
    # That account is locked, wherever the right password comes from...
    locked = login(_from(app.test_client(), STAFF_ADDRESS), STAFF_EMAIL, STAFF_PASSWORD)
    assert locked.status_code == 429 and "minutes" in locked.get_data(as_text=True)
    # ...and no other account is.
    other = _from(app.test_client(), STAFF_ADDRESS)
    assert login(other, "coordinator@clinic.test", STAFF_PASSWORD).status_code == 302


@pytest.mark.parametrize(("failures", "delay"), [
    (0, 0), (19, 0), (20, 1), (21, 2), (24, 16), (25, 32), (26, 60), (500, 60)])
def test_an_address_waits_longer_with_each_failure_up_to_a_minute(failures, delay):
    assert address_delay(failures, 20) == delay


@pytest.mark.parametrize(("seconds_ago", "refused"), [(0, True), (0.5, True), (2, False)])
def test_the_wait_runs_from_the_latest_failure(db, app, seconds_ago, refused):
    now = utcnow()
    db.add_all([LoginFailure(email=f"u{i}@x.test", ip=ATTACKER,
                             at=now - timedelta(minutes=5)) for i in range(ATTEMPTS - 1)])
    db.add(LoginFailure(email="last@x.test", ip=ATTACKER, at=now - timedelta(seconds=seconds_ago)))
    db.commit()
    result = throttle.refusal(db, email="new@x.test", ip=ATTACKER, config=app.config, now=now)
    assert (result is not None) is refused
    if refused:
        assert result.reason == "address" and result.retry_after == 1


@pytest.mark.parametrize(("hops", "proto", "hsts"), [(1, "https", True), (0, "https", False),
                                                     (1, "http", False)])
def test_the_scheme_is_taken_from_trusted_proxies_only(client, hops, proto, hsts):
    _from(client, PROXY, STAFF_ADDRESS)
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = proto
    response = client.get("/login")
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize("hops", [1])
@pytest.mark.parametrize("forwarded", ["not-an-address", "x" * 300, "1.2.3.4.5", "::g"])
def test_a_forwarded_value_that_is_no_address_counts_as_the_peer(app, db, hops, forwarded):
    client = _from(app.test_client(), PROXY, forwarded)
    assert login(client, "nobody@clinic.test", "wrong password").status_code == 401
    assert _failure_addresses(db) == {PROXY}
