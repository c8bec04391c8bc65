"""DVCQG's interface as the provincial systems call it: a session from POST {username,
password} with the `dstcode` header, then each call POSTs {session, madonvi, service, ...}
with the same header. The service names are settings (the Government Office gives a
province its own); a session the portal no longer knows is renewed once, in the call.

Calls go through one circuit breaker (pybreaker): after PORTAL_BREAKER_FAILURES calls in a
row that found the portal down, none is tried for PORTAL_BREAKER_SECONDS, then one is."""
import logging
import threading

import pybreaker
import requests
from nameko.extensions import DependencyProvider
from prometheus_client import Counter

from services.common.settings import read_settings

from .settings import PortalSettings

log = logging.getLogger("motcua.nationalportal.client")

CALLS = Counter("motcua_nationalportal_calls_total", "Calls to DVCQG by service and outcome",
                ["service", "outcome"])


class PortalDown(Exception):
    """The portal did not answer (time-out, connection refused, HTTP 5xx, breaker open):
    what was sent may or may not have arrived."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class PortalRefused(Exception):
    """The portal answered with an error: its code and message, as it said them."""

    def __init__(self, error_code, message):
        super().__init__(f"error_code {error_code}: {message}")
        self.error_code = str(error_code)
        self.message = message or ""

    @property
    def already_exists(self):
        return "đã tồn tại" in self.message.lower()


def succeeded(answer):
    """error_code 0 (the session's answer) or "00" (the services', opencps-v2 reads both)."""
    try:
        return int(str(answer.get("error_code"))) == 0
    except ValueError:
        return False


class Dvcqg:
    def __init__(self, settings):
        self.settings = settings
        self.http = requests.Session()
        self.session = None
        self.lock = threading.Lock()
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_failures, reset_timeout=settings.breaker_seconds,
            exclude=[PortalRefused], name="dvcqg")

    def name(self, service):
        return self.settings.services[service]

    def call(self, service, **fields):
        """The answer of one call to `service` (a key of PORTAL_SERVICES); PortalDown or
        PortalRefused."""
        session = self._session()
        try:
            return self._service(service, session, fields)
        except PortalRefused as exc:
            if exc.error_code not in self.settings.session_expired_codes:
                raise
            log.info("portal session expired; logging in again")
            return self._service(service, self._session(renew=session), fields)

    def _service(self, service, session, fields):
        body = {"session": session, "madonvi": self.settings.unit_code,
                "service": self.name(service), **fields}
        try:
            answer = self._post(self.settings.service_path, body)
        except PortalDown as exc:
            CALLS.labels(service, exc.reason).inc()
            raise
        except PortalRefused:
            CALLS.labels(service, "refused").inc()
            raise
        CALLS.labels(service, "ok").inc()
        return answer

    def _session(self, renew=None):
        with self.lock:
            if self.session is None or self.session == renew:
                answer = self._post(self.settings.login_path, {
                    "username": self.settings.username, "password": self.settings.password})
                self.session = answer["session"]
            return self.session

    def _post(self, path, body):
        try:
            return self.breaker.call(self._send, path, body)
        except pybreaker.CircuitBreakerError as exc:
            raise PortalDown("circuit_open", str(exc)) from exc

    def _send(self, path, body):
        try:
            response = self.http.post(self.settings.url + path, json=body,
                                      headers={"dstcode": self.settings.dstcode},
                                      timeout=self.settings.timeout_seconds)
        except requests.Timeout as exc:
            raise PortalDown("timeout") from exc
        except requests.RequestException as exc:
            raise PortalDown("unreachable", type(exc).__name__) from exc
        if response.status_code >= 500:
            raise PortalDown("server_error", f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise PortalDown("server_error", "answer is not JSON") from exc
        if not isinstance(answer, dict) or not succeeded(answer):
            answer = answer if isinstance(answer, dict) else {}
            raise PortalRefused(answer.get("error_code", response.status_code),
                                answer.get("message") or answer.get("error") or "")
        return answer


class Portal(DependencyProvider):
    """One client per service process (its session and breaker are the process's)."""

    def setup(self):
        self.client = Dvcqg(read_settings(PortalSettings, self.container.config))

    def get_dependency(self, worker_ctx):
        return self.client
