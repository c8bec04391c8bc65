"""The owning services' HTTP APIs, called with a token minted for the signed-in user: each
service authorises the page's call as it would the officer's own."""
import logging

import eventlet
import requests
from nameko.extensions import DependencyProvider

from services.common import logs
from services.common.auth import issue_token

from .accounts import CALL_TOKEN_SECONDS, call_token
from .web import PageError

log = logging.getLogger("motcua.desk")
TIMEOUT_SECONDS = 10
SERVICE_NAMES_VI = {"intake": "tiếp nhận", "routing": "xử lý hồ sơ", "payment": "thu phí",
                    "notify": "thông báo", "nationalportal": "liên thông Cổng DVCQG",
                    "postal": "bưu chính", "docstore": "tài liệu điện tử"}


class Answer:
    def __init__(self, response):
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.text
        self.content = response.content
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        self.body = response.json() if is_json and response.content else {}

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def error(self):
        return self.body.get("error") or {}

    @property
    def fields(self):
        return self.error.get("fields") or {}


class Services:
    def __init__(self, http, urls, secret, user, correlation_id, bearer=None):
        self.http = http
        self.urls = urls
        self.secret = secret
        self.user = user
        self.correlation_id = correlation_id
        self.bearer = bearer  # a token of its own (a citizen's), instead of the user's

    def as_citizen_of(self, code):
        """The same services, called as the applicant of dossier `code` (once its lookup
        secret proved right): a two-minute token that opens that dossier's bills only."""
        token = issue_token(self.secret, "citizen", dossier=code, subject=f"citizen:{code}",
                            ttl=CALL_TOKEN_SECONDS)
        return Services(self.http, self.urls, self.secret, None, self.correlation_id, token)

    def call(self, service, method, path, *, expect=(200,), **kwargs):
        """The service's answer; a PageError when it cannot be reached or answers neither
        what `expect` lists nor a 4xx the page shows itself (404, 409, 422)."""
        headers = {"X-Correlation-Id": self.correlation_id, **kwargs.pop("headers", {})}
        if self.bearer is not None:
            headers["Authorization"] = "Bearer " + self.bearer
        elif self.user is not None:
            headers["Authorization"] = "Bearer " + call_token(self.secret, self.user)
        try:
            response = self.http.request(method, self.urls[service] + path, headers=headers,
                                         timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            log.warning("service unreachable", extra={"target": service,
                                                      "exception": type(exc).__name__})
            raise PageError(503, f"Hệ thống {SERVICE_NAMES_VI.get(service, service)} tạm thời "
                                 "không kết nối được; hãy thử lại sau giây lát.") from exc
        answer = Answer(response)
        if answer.status in expect or answer.status in (404, 409, 422):
            return answer
        if answer.status == 403:
            raise PageError(403, answer.error.get("message") or "Bạn không được làm việc này.")
        log.warning("service answered an error", extra={"target": service,
                                                        "status": answer.status})
        raise PageError(503 if answer.status >= 500 else answer.status,
                        answer.error.get("message") or "Không thực hiện được; hãy thử lại.")


    def together(self, **calls):
        """Independent calls made at once, so that a page waits for the slowest of its calls
        rather than their sum: {name: function of no argument} -> {name: what it returned};
        the first PageError once every call is over."""
        def run(call):
            logs.bind(correlation_id=self.correlation_id)
            return call()
        threads = {name: eventlet.spawn(run, call) for name, call in calls.items()}
        answers, failure = {}, None
        for name, thread in threads.items():
            try:
                answers[name] = thread.wait()
            except PageError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return answers


class ServiceClients(DependencyProvider):
    """`services(user, request)`: the other services for this user and request."""

    def setup(self):
        config = self.container.config
        self.urls = {name: config[f"{name.upper()}_URL"]
                     for name in SERVICE_NAMES_VI}
        self.secret = config["TOKEN_SECRET"]
        self.http = requests.Session()
        # one pool of kept-alive connections per service: with fewer, a page's calls would
        # evict each other's pools and open a connection per call
        adapter = requests.adapters.HTTPAdapter(pool_connections=len(self.urls),
                                                pool_maxsize=50)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def stop(self):
        self.http.close()

    def get_dependency(self, worker_ctx):
        def services(user, request):
            return Services(self.http, self.urls, self.secret, user,
                            getattr(request, "correlation_id", None))
        return services
