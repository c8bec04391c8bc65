"""How a citizen, who never signs in, reaches one dossier: the lookup secret is checked by
routing, here only counted (`SecretChecks`: per client address and per dossier code, in
buckets every desk process shares, so that guessing is stopped and logged), and once it proved
right the browser keeps a short-lived cookie holding the code and the secret encrypted
(`DossierPass`), which the dossier's pages (status, forms, evaluation) read instead of asking
for the secret again."""
import base64
import hashlib
import ipaddress
import json
import logging
import math
import re
from urllib.parse import quote

from cryptography.fernet import Fernet, InvalidToken
from prometheus_client import Counter

from services.common.ratelimit import client_key

from . import store
from .web import PageError

log = logging.getLogger("motcua.desk")

CODE_PATTERN = re.compile(r"^[0-9A-Za-z.\-]{1,40}$")
# a wrong secret and an unknown code: one answer
NOT_FOUND = ("Không tìm thấy hồ sơ có mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại hai mã in "
             "trên giấy tiếp nhận hồ sơ.")

STOPPED = Counter("motcua_desk_secret_checks_stopped_total",
                  "Lookup secrets not checked: too many from one client or for one dossier",
                  ["limit"])
STOPPED_MESSAGE = ("Ông/Bà đã nhập sai quá nhiều lần. Để bảo vệ hồ sơ, việc tra cứu tạm dừng; "
                   "xin thử lại sau {wait} phút, hoặc mang giấy tiếp nhận đến Bộ phận Một cửa.")


def client_address(request, trusted_proxies):
    """The address of the client: the connection's, unless it comes from a trusted proxy, in
    which case the nearest address of X-Forwarded-For that is not itself a trusted proxy
    (what a client writes in the header before the proxies' own entries is not believed)."""
    chain = [request.remote_addr or ""]
    if _trusted(chain[0], trusted_proxies):
        forwarded = request.headers.get("X-Forwarded-For", "")
        chain += [part.strip() for part in reversed(forwarded.split(",")) if part.strip()]
    for address in chain:
        if not _trusted(address, trusted_proxies):
            return address
    return chain[-1]


def _trusted(address, trusted_proxies):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies)


class SecretChecks:
    """`secret_checks(request, code)` counts one check of a lookup secret in the buckets every
    desk process shares (desk.secret_check_buckets); a PageError 429 (logged, with no address
    in clear) when the client or the dossier has had too many."""

    def __init__(self, db, settings):
        self.db, self.trusted = db, settings.trusted_proxies
        self.limits = {"client": settings.secret_checks_per_client,
                       "code": settings.secret_checks_per_code}

    def __call__(self, request, code):
        address = client_address(request, self.trusted)
        with self.db.autocommit() as cur:
            for limit, key in (("client", address), ("code", code.upper())):
                checks, seconds = self.limits[limit]
                if checks == 0:  # "0/1": off
                    continue
                tokens = store.take_secret_check(cur, client_key(limit, key), checks,
                                                 checks / seconds)
                if tokens < 0:
                    self._stopped(limit, address, code, math.ceil((1 - tokens) * seconds / checks))

    @staticmethod
    def _stopped(limit, address, code, wait):
        STOPPED.labels(limit).inc()
        log.warning("lookup secret checks stopped", extra={
            "limit": limit, "client": client_key(address)[:12], "dossier_code": code,
            "retry_after_seconds": wait})
        raise PageError(429, STOPPED_MESSAGE.format(wait=-(-wait // 60)), "Tạm dừng tra cứu")


class DossierPass:
    """The cookie that lets the browser back into one dossier for `minutes` after its secret
    proved right: the code and secret encrypted and authenticated (Fernet, with a key derived
    from TOKEN_SECRET), HttpOnly, SameSite=Lax (so the payment gateway's return still
    carries it)."""
    COOKIE = "desk_dossier"

    def __init__(self, token_secret, minutes, secure):
        key = hashlib.sha256(f"desk-dossier-pass:{token_secret}".encode()).digest()
        self.fernet = Fernet(base64.urlsafe_b64encode(key))
        self.seconds = minutes * 60
        self.secure = secure

    def cookie(self, code, secret):
        value = self.fernet.encrypt(json.dumps({"code": code, "secret": secret}).encode())
        return {"key": self.COOKIE, "value": value.decode("ascii"), "httponly": True,
                "samesite": "Lax", "secure": self.secure, "path": "/", "max_age": self.seconds}

    def _held(self, request):
        """{code, secret} of the cookie, or {} (none, altered, or past its time)."""
        value = request.cookies.get(self.COOKIE)
        if not value:
            return {}
        try:
            return json.loads(self.fernet.decrypt(value.encode("ascii"), ttl=self.seconds))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            return {}

    def secret_for(self, request, code):
        """The secret the cookie holds for `code`, or None (no cookie, another dossier's, or
        one past its time)."""
        held = self._held(request)
        return held["secret"] if held.get("code") == code else None

    def code_held(self, request):
        """The code of the dossier the browser is let into, or None."""
        return self._held(request).get("code")


def checked_code(code):
    if not CODE_PATTERN.match(code or ""):
        raise PageError(404, NOT_FOUND, "Không tìm thấy hồ sơ")
    return code


def secret_or_lookup(request, dossier_pass, code):
    secret = dossier_pass.secret_for(request, code)
    if secret is None:
        raise PageError(303, f"/tra-cuu?ma={quote(code, safe='')}")
    return secret
