"""The desk's accounts and sessions over HTTP, the desk running in a container on the test
database: the sign-in and its lockout, the first password, CSRF, the idle timeout, signing
out everywhere, the headers every page carries, `motcua users`, and the vendored htmx."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from services.common.config import load_config
from services.desk import static
from services.desk.service import DeskService
from tests.conftest import TOKEN_SECRET, free_port, query

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Mat-khau-2026"


@pytest.fixture
def desk(container_factory, db, db_url):
    """The desk alone: it needs no broker (its pages' calls to other services are not made
    here)."""
    config = {**load_config("desk"), "DB_URL": db_url, "TOKEN_SECRET": TOKEN_SECRET,
              "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", "DESK_MAX_FAILURES": 3,
              "DESK_SESSION_PURGE_SECONDS": 3600}
    container_factory(DeskService, config).start()
    return f"http://{config['WEB_SERVER_ADDRESS']}", config


def users(config, *args, password=PASSWORD):
    return subprocess.run([sys.executable, "-m", "tooling.cli", "users", *args], cwd=ROOT,
                          env={**os.environ, "DB_URL": config["DB_URL"], "PW": password},
                          capture_output=True, text=True, timeout=60)


def add(config, username="ca.an", *extra):
    done = users(config, "add", username, "--full-name", "Trần Văn An", "--role",
                 "department_officer", "--department", "ca", "--password-env", "PW", *extra)
    assert done.returncode == 0, done.stderr


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(url, username="ca.an", password=PASSWORD):
    session = requests.Session()
    form = session.get(f"{url}/sign-in", timeout=10)
    answer = session.post(f"{url}/sign-in", timeout=10, allow_redirects=False, data={
        "csrf": csrf_of(form.text), "username": username, "password": password})
    return session, answer


def test_a_first_password_must_be_changed_before_any_page(desk):
    url, config = desk
    add(config)
    session, answer = sign_in(url)
    assert answer.status_code == 303 and answer.headers["Location"] == "/password"
    assert session.get(f"{url}/inbox", allow_redirects=False).headers["Location"] == "/password"
    page = session.get(f"{url}/password").text
    weak = session.post(f"{url}/password", data={"csrf": csrf_of(page), "current": PASSWORD,
                                                 "new": "12345678901", "repeated": "12345678901"})
    assert weak.status_code == 422 and "cả chữ và chữ số" in weak.text
    changed = session.post(f"{url}/password", allow_redirects=False, data={
        "csrf": csrf_of(page), "current": PASSWORD, "new": "Rieng-tu-2026",
        "repeated": "Rieng-tu-2026"})
    assert changed.status_code == 303 and changed.headers["Location"] == "/inbox"
    assert sign_in(url, password=PASSWORD)[1].status_code == 401
    assert sign_in(url, password="Rieng-tu-2026")[1].headers["Location"] == "/inbox"


def test_wrong_passwords_lock_the_account_and_every_attempt_is_recorded(desk, db):
    url, config = desk
    add(config, "ca.an", "--keep-password")
    for _ in range(3):
        _, answer = sign_in(url, password="sai-mat-khau-1")
        assert answer.status_code == 401
    assert "tạm khóa" in answer.text
    _, locked = sign_in(url)  # the right password, but locked now
    assert locked.status_code == 401 and "tạm khóa" in locked.text
    _, unknown = sign_in(url, "khong.co")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in unknown.text
    outcomes = [row["outcome"] for row in query(db, "SELECT outcome FROM desk.audit "
                                                    "WHERE action = 'sign_in' ORDER BY id")]
    assert outcomes == ["wrong_password"] * 3 + ["locked", "unknown_user"]
    assert users(config, "reset-password", "ca.an", "--password-env", "PW").returncode == 0
    assert sign_in(url)[1].headers["Location"] == "/password"


def test_forms_without_their_csrf_token_are_refused(desk):
    url, config = desk
    add(config, "ca.an", "--keep-password")
    bare = requests.post(f"{url}/sign-in", data={"username": "ca.an", "password": PASSWORD},
                         allow_redirects=False, timeout=10)
    assert bare.status_code == 403
    session, answer = sign_in(url)
    assert answer.status_code == 303
    forged = session.post(f"{url}/sign-out-everywhere", data={"csrf": "forged"},
                          allow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text


def test_an_idle_session_ends_and_sign_out_everywhere_ends_them_all(desk, db):
    url, config = desk
    add(config, "ca.an", "--keep-password")
    first, _ = sign_in(url)
    second, _ = sign_in(url)
    with db.cursor() as cur:
        cur.execute("UPDATE desk.sessions SET last_seen = now() - interval '31 minutes' "
                    "WHERE id_hash = (SELECT min(id_hash) FROM desk.sessions)")
    pages = [s.get(f"{url}/password", allow_redirects=False) for s in (first, second)]
    assert sorted(p.status_code for p in pages) == [200, 303]
    expired = next(p for p in pages if p.status_code == 303)
    assert expired.headers["Location"].startswith("/sign-in?next=") and "expired=1" in \
        expired.headers["Location"]
    alive = (first, second)[[p.status_code for p in pages].index(200)]
    third, _ = sign_in(url)
    out = alive.post(f"{url}/sign-out-everywhere", allow_redirects=False,
                     data={"csrf": csrf_of(alive.get(f"{url}/password").text)})
    assert out.status_code == 303
    assert third.get(f"{url}/password", allow_redirects=False).status_code == 303


def test_every_page_carries_the_security_headers_and_a_signed_cookie(desk):
    url, config = desk
    add(config, "ca.an", "--keep-password")
    page = requests.get(f"{url}/sign-in", timeout=10)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1] \
        .split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.text and 'lang="vi"' in page.text
    _, answer = sign_in(url)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    tampered = requests.get(f"{url}/password", allow_redirects=False, timeout=10,
                            cookies={"desk_session": "forged.0000"})
    assert tampered.status_code == 303


def test_users_cli_refuses_an_account_without_its_scope_and_disables_one(desk):
    url, config = desk
    refused = users(config, "add", "mc.lan", "--full-name", "Lan", "--role", "counter_officer",
                    "--password-env", "PW")
    assert refused.returncode == 2 and "center" in refused.stderr
    add(config, "ca.an", "--keep-password")
    session, _ = sign_in(url)
    assert users(config, "disable", "ca.an").returncode == 0
    assert session.get(f"{url}/inbox", allow_redirects=False).status_code == 303
    assert sign_in(url)[1].status_code == 401


def test_htmx_is_the_published_file():
    data = (static.STATIC_DIR / static.HTMX).read_bytes()
    assert hashlib.sha256(data).hexdigest() == static.HTMX_SHA256


def test_the_manager_adds_an_account_and_disables_it_in_the_desk(desk):
    url, config = desk
    done = users(config, "add", "trungtam.ld", "--full-name", "Võ Thị Hạnh", "--role", "manager",
                 "--password-env", "PW", "--keep-password")
    assert done.returncode == 0, done.stderr
    manager, answer = sign_in(url, "trungtam.ld")
    assert answer.headers["Location"] == "/dashboard"
    page = manager.get(f"{url}/accounts").text
    refused = manager.post(f"{url}/accounts", data={
        "csrf": csrf_of(page), "username": "mc.lan", "full_name": "Nguyễn Thị Lan",
        "role": "counter_officer", "password": "Tam-thoi-2026"})
    assert refused.status_code == 422 and 'href="#f-center"' in refused.text
    added = manager.post(f"{url}/accounts", allow_redirects=False, data={
        "csrf": csrf_of(page), "username": "mc.lan", "full_name": "Nguyễn Thị Lan",
        "role": "counter_officer", "center": "trung_tam_tinh", "password": "Tam-thoi-2026"})
    assert added.status_code == 303
    assert sign_in(url, "mc.lan", "Tam-thoi-2026")[1].headers["Location"] == "/password"
    disabled = manager.post(f"{url}/accounts/mc.lan", data={"csrf": csrf_of(page),
                                                            "action": "disable"})
    assert "Đã cập nhật tài khoản mc.lan" in disabled.text
    assert sign_in(url, "mc.lan", "Tam-thoi-2026")[1].status_code == 401
