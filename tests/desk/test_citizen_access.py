"""How the citizens' pages guard a dossier's lookup secret: which address a request comes
from (X-Forwarded-For believed only from a trusted proxy), checks counted per client and per
dossier code (guessing stopped and logged, without the address in clear), and the cookie that
lets a browser back into the one dossier whose secret it proved."""
import logging
import time

import pytest
from werkzeug.test import EnvironBuilder

from services.common.db import Pool
from services.common.settings import read_settings
from services.desk.citizen_access import DossierPass, SecretChecks, client_address
from services.desk.settings import DeskSettings, trusted_networks
from services.desk.store import delete_full_secret_check_buckets
from services.desk.web import PageError

PROXY = trusted_networks("10.0.0.0/8")


def request(remote, forwarded=None, cookie=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    if cookie:
        headers["Cookie"] = cookie
    return EnvironBuilder(path="/tra-cuu", method="POST", headers=headers,
                          environ_base={"REMOTE_ADDR": remote}).get_request()


@pytest.mark.parametrize("remote, forwarded, client", [
    ("203.0.113.7", None, "203.0.113.7"),
    # a client that writes the header itself, straight to the desk, is not believed
    ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
    # through the ingress: the address it saw, whatever the client wrote before it
    ("10.1.2.3", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
    ("10.1.2.3", "203.0.113.7, 10.9.9.9", "203.0.113.7"),
    ("10.1.2.3", None, "10.1.2.3"),
])
def test_the_client_is_the_nearest_address_no_trusted_proxy_gave(remote, forwarded, client):
    assert client_address(request(remote, forwarded), PROXY) == client


@pytest.fixture
def pool(db, db_url):
    """A desk process's pool, on the test database emptied of buckets."""
    opened = Pool(db_url, 2)
    yield opened
    opened.close()


def secret_checks(pool, per_client="10/600", per_code="30/600"):
    """The checks as one desk process counts them: each call a process of its own, sharing
    the buckets of the database."""
    settings = read_settings(DeskSettings, {
        "TOKEN_SECRET": "t" * 40, "DESK_TRUSTED_PROXIES": "10.0.0.0/8",
        "DESK_SECRET_CHECKS_PER_CLIENT": per_client, "DESK_SECRET_CHECKS_PER_CODE": per_code})
    return SecretChecks(pool, settings)


def test_guessing_from_one_client_is_stopped_and_logged_whatever_the_codes(pool, caplog):
    count = secret_checks(pool)
    caplog.set_level(logging.WARNING, "motcua.desk")
    for attempt in range(10):
        count(request("10.1.2.3", "203.0.113.7"), f"H01.40-261207-{attempt:04d}")
    with pytest.raises(PageError) as stopped:
        count(request("10.1.2.3", "203.0.113.7"), "H01.40-261207-0099")
    assert stopped.value.status == 429 and "sai quá nhiều lần" in stopped.value.message
    [logged] = [r for r in caplog.records if r.getMessage() == "lookup secret checks stopped"]
    assert logged.limit == "client" and logged.dossier_code == "H01.40-261207-0099"
    assert "203.0.113.7" not in str(logged.__dict__)
    # another client behind the same proxy is not stopped
    count(request("10.1.2.3", "198.51.100.1"), "H01.40-261207-0099")


def test_guessing_one_dossier_from_many_clients_is_stopped_without_locking_it_by_one(pool):
    count = secret_checks(pool, per_client="10/600", per_code="15/600")
    code = "H01.40-261207-0001"
    for attempt in range(15):
        count(request("10.1.2.3", f"203.0.113.{attempt}"), code)
    with pytest.raises(PageError):
        count(request("10.1.2.3", "203.0.113.200"), code.lower())  # the same code
    count(request("10.1.2.3", "203.0.113.200"), "H01.40-261207-0002")


def test_a_second_desk_process_or_a_restart_gives_a_guesser_no_new_allowance(pool):
    first, second = secret_checks(pool), secret_checks(pool)
    for attempt in range(5):
        first(request("203.0.113.7"), f"H01.40-261207-{attempt:04d}")
        second(request("203.0.113.7"), f"H01.40-261207-{attempt + 10:04d}")
    with pytest.raises(PageError) as stopped:
        secret_checks(pool)(request("203.0.113.7"), "H01.40-261207-0099")
    assert "thử lại sau 2 phút" in stopped.value.message  # the 11th costs a token too


def test_checks_refill_and_full_buckets_are_removed(pool, db):
    count = secret_checks(pool, per_client="2/1", per_code="0/1")
    for _ in range(2):
        count(request("203.0.113.7"), "H01.40-261207-0001")
    with pytest.raises(PageError):
        count(request("203.0.113.7"), "H01.40-261207-0001")
    time.sleep(2.1)
    count(request("203.0.113.7"), "H01.40-261207-0001")
    with db.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM desk.secret_check_buckets")
        assert cur.fetchone()["n"] == 1  # the client's; per code is off
        time.sleep(1.1)
        delete_full_secret_check_buckets(cur, 1)
        cur.execute("SELECT count(*) AS n FROM desk.secret_check_buckets")
        assert cur.fetchone()["n"] == 0


def test_the_dossier_pass_opens_its_own_dossier_only_and_for_its_time():
    issued = DossierPass("t" * 40, minutes=30, secure=False)
    cookie = issued.cookie("H01.40-261207-0001", "ABCD2345")
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and "ABCD2345" not in cookie["value"]
    sent = f"{DossierPass.COOKIE}={cookie['value']}"
    assert issued.secret_for(request("203.0.113.7", cookie=sent), "H01.40-261207-0001") == "ABCD2345"
    assert issued.secret_for(request("203.0.113.7", cookie=sent), "H01.40-261207-0002") is None
    tampered = f"{DossierPass.COOKIE}={cookie['value'][:-4]}AAAA"
    assert issued.secret_for(request("203.0.113.7", cookie=tampered), "H01.40-261207-0001") is None
    other_key = DossierPass("u" * 40, minutes=30, secure=False)
    assert other_key.secret_for(request("203.0.113.7", cookie=sent), "H01.40-261207-0001") is None
    expired = DossierPass("t" * 40, minutes=1, secure=False)
    old = expired.fernet.encrypt_at_time(b'{"code": "C", "secret": "S"}', int(time.time()) - 120)
    assert expired.secret_for(request("203.0.113.7", cookie=f"{DossierPass.COOKIE}={old.decode()}"),
                              "C") is None
