"""HTTP for every service: `@api` endpoints that get what they declare (the caller checked
against their roles, the loaded query and body), JSON errors of one shape (domain errors
mapped by services.common.errors' table), body limits and request metrics; plus /health,
/ready, /metrics and /openapi.json.

Error shape: {"error": {"code": ..., "message": ..., "fields": {"dotted.field": [...]}}}.
400 malformed, 401/403 auth, 404 unknown, 409 conflict, 413 too large, 422 field errors.
Anything unexpected is a 500 with no detail; the detail goes to the log, at ERROR with its
traceback. An answered error (a client's mistake, or a deliberate 5xx such as "try again")
is logged once, without traceback: INFO for 4xx, WARNING for 5xx.
"""
import inspect
import json
import logging
import re
import time
import uuid
from datetime import datetime

import psycopg2
from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from werkzeug.wrappers import Response

from . import broker, logs
from .auth import AuthError, authenticate, check_secret, require_role
from .db import has_unstorable, unstorable_at
from .errors import FIELDS_INVALID, DomainError, http_status
from .migrations import pending

log = logging.getLogger("motcua.http")

MAX_BODY_BYTES = 64 * 1024
# A caller's X-Correlation-Id is carried on in the events it causes, in their AMQP properties,
# where a short string holds 255 bytes (a longer one stops the outbox relay): one that is not
# a plain token up to the envelope's 100 characters is replaced by a new id.
CORRELATION_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,100}")
# A file someone uploaded, served back (a scan, its page drawn): never taken for another type,
# never cached, and sandboxed, so no script, form or plugin in it acts on the serving origin.
UPLOADED_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                         "Content-Security-Policy": "sandbox; default-src 'none'",
                         "Cross-Origin-Resource-Policy": "same-origin"}
# "not used": a service with no consumer needs no broker connection to serve.
PASSING_CHECKS = ("ok", "not used")
UNSTORABLE_MESSAGE = ("có ký tự không lưu được (ký tự NUL \\u0000 hoặc nửa cặp UTF-16 "
                      "như \\ud800): hãy nhập lại")

REQUESTS = Counter(
    "motcua_http_requests_total", "HTTP requests", ["service", "route", "method", "status"]
)
LATENCY = Histogram(
    "motcua_http_request_duration_seconds", "HTTP request latency", ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class ApiError(Exception):
    def __init__(self, status, code, message, fields=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers


# What a handler raises to answer its caller (or a database restarting): not a fault of ours.
ANSWERED_ERRORS = (ApiError, AuthError, DomainError, ValidationError, OverflowError,
                   psycopg2.OperationalError, psycopg2.InterfaceError)


class AnsweredErrorsLoggedOnce(logging.Filter):
    """nameko logs every exception a worker raises at ERROR with its traceback. For an HTTP
    worker's answered error that line is dropped: `response_from_exception` logs it once,
    plainly. Any other worker's domain error (an RPC refusing what it was asked) is the
    caller's answer too: its line becomes one INFO line without traceback. Real failures
    stand out."""

    def filter(self, record):
        worker_ctx = record.args[0] if isinstance(record.args, tuple) and record.args else None
        entrypoint = getattr(worker_ctx, "entrypoint", None)
        error = record.exc_info[1] if record.exc_info else None
        if entrypoint is None or error is None:
            return True
        if isinstance(entrypoint, ApiEndpoint):
            return not isinstance(error, ANSWERED_ERRORS)
        if isinstance(error, DomainError):
            self._as_answer(record, entrypoint, error)
        return True

    @staticmethod
    def _as_answer(record, entrypoint, error):
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.msg, record.args = "answered with an error", ()
        record.exc_info = record.exc_text = None
        record.entrypoint = f"{entrypoint.container.service_name}.{entrypoint.method_name}"
        record.error_code = error.code
        record.exception = type(error).__name__


ANSWERED_ERRORS_FILTER = AnsweredErrorsLoggedOnce()


def _json_default(value):
    """datetimes as RFC 3339 (str() would put a space where the documented date-time has T)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def json_response(payload, status=200, headers=None):
    return Response(
        json.dumps(payload, ensure_ascii=False, default=_json_default),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def error_response(status, code, message, fields=None, headers=None):
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return json_response({"error": error}, status, headers)


def flatten_messages(messages, prefix=""):
    """marshmallow's nested messages as {"applicant.phone": ["..."]}."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(flatten_messages(value, path))
            else:
                flat[path] = value if isinstance(value, list) else [value]
    else:
        flat[prefix or "_body"] = messages if isinstance(messages, list) else [messages]
    return flat


def too_large(what, max_bytes):
    return ApiError(413, "body_too_large", f"{what} quá lớn: tối đa {max_bytes} byte.")


def json_problem(exc, what="Dữ liệu gửi lên"):
    """Where the JSON of `what` breaks, said plainly (the parser's own words are English)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{what} không phải JSON hợp lệ (lỗi ở dòng {exc.lineno}, cột {exc.colno})."
    if isinstance(exc, UnicodeDecodeError):
        return f"{what} không phải văn bản UTF-8."
    return f"{what} lồng nhau quá sâu."


def read_json(request, schema, max_bytes=MAX_BODY_BYTES):
    """The request body loaded through a marshmallow schema (400/413/422 on bad input)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large("Dữ liệu gửi lên", max_bytes)
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large("Dữ liệu gửi lên", max_bytes)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting too
        raise ApiError(400, "malformed_json", json_problem(exc)) from exc
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "Dữ liệu gửi lên phải là một đối tượng JSON ({...}).")
    where = unstorable_at(body)
    if where is not None:
        raise ValidationError({where or "_body": [UNSTORABLE_MESSAGE]})
    return schema.load(body)


def read_upload(request, max_bytes):
    """The raw body of an uploaded file (not JSON: a statement, a carrier's file), at most
    `max_bytes` (413 beyond); an empty one is a 422."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large("Tệp gửi lên", max_bytes)
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large("Tệp gửi lên", max_bytes)
    if not raw.strip():
        raise ApiError(422, "validation_failed", "Tệp gửi lên không có nội dung.",
                       {"_body": ["Hãy gửi nội dung tệp trong thân yêu cầu."]})
    return raw


def read_query(request, schema):
    """The query string loaded through a marshmallow schema (422 naming the parameter)."""
    return schema.load(request.args.to_dict())


def correlation_id_of(request):
    given = request.headers.get("X-Correlation-Id")
    return given if given and CORRELATION_ID.fullmatch(given) else str(uuid.uuid4())


class ApiEndpoint(HttpRequestHandler):
    """`@api('POST', '/path', auth=..., body=..., query=...)`: what the endpoint declares is
    what is enforced, and errors become JSON; every request is measured.

    - `auth`: the roles allowed (None: public). The bearer token is checked against them
      before anything else and the method gets the caller as `caller`. With `public_if`
      (a query parameter's name, such as the citizen's lookup `secret`), a request carrying
      that parameter needs no token (`caller` is then None, and the method checks the
      parameter) while one without it needs a token of an allowed role.
    - `query`, `body`: marshmallow schema classes; the method gets the loaded values as
      `query` and `body` (a body is read as JSON, at most MAX_BODY_BYTES).
    - `upload`: an uploaded file the method reads itself (`read_upload`), described for the
      document as {media type: OpenAPI schema}.
    - `summary`, `responses` ({status: description or (description, schema class)}) only
      describe it in its OpenAPI document (services.common.apidocs).
    """

    def __init__(self, method, url, *, summary=None, body=None, query=None, responses=None,
                 auth=None, public_if=None, upload=None, **kwargs):
        self.summary = summary
        self.body = body
        self.upload = upload
        self.query = query
        self.responses = responses or {}
        self.auth = tuple(auth) if auth is not None else None
        self.public_if = public_if
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self._checked_signatures = set()
        if self.auth is not None:
            self.token_secret = check_secret(self.container.config.get("TOKEN_SECRET"))
        self._check_method_takes_what_is_declared()
        # one instance each: building a marshmallow schema deep-copies its fields, loading
        # through one keeps no state between requests
        self._query_schema = self.query() if self.query is not None else None
        self._body_schema = self.body() if self.body is not None else None
        logging.getLogger("nameko.containers").addFilter(ANSWERED_ERRORS_FILTER)  # once

    def get_entrypoint_parameters(self, request):
        """nameko's (request, path values) plus what the endpoint declares: who is calling
        first (so that nothing about the request is told to a caller who may not make it),
        then the loaded query and body."""
        args, path_values = super().get_entrypoint_parameters(request)
        kwargs = dict(path_values)
        if self.auth is not None:
            kwargs["caller"] = self.caller(request)
        if self.query is not None:
            kwargs["query"] = read_query(request, self._query_schema)
        if self.body is not None:
            kwargs["body"] = read_json(request, self._body_schema)
        return args, kwargs

    def _check_method_takes_what_is_declared(self):
        """A method that does not take what its endpoint declares would read it by hand (and
        a body can be read only once): the service does not start."""
        declared = {"caller": self.auth, "query": self.query, "body": self.body}
        takes = inspect.signature(getattr(self.container.service_cls, self.method_name)).parameters
        missing = [name for name, value in declared.items()
                   if value is not None and name not in takes]
        if missing:
            raise TypeError(f"{self.container.service_name}.{self.method_name} declares "
                            f"{', '.join(missing)} in @api but does not take "
                            f"{'it' if len(missing) == 1 else 'them'}")

    def caller(self, request):
        if self.public_if is not None and request.args.get(self.public_if):
            return None
        found = authenticate(self.token_secret, request.headers.get("Authorization"))
        require_role(found, *self.auth)
        return found

    def check_signature(self, args, kwargs):
        """nameko's check (inspect.getcallargs, on every request) depends only on the names of
        the URL's parameters, which one route always gives alike: done once per set of names."""
        names = tuple(sorted(kwargs))
        if names not in self._checked_signatures:
            super().check_signature(args, kwargs)
            self._checked_signatures.add(names)

    def handle_request(self, request):
        started = time.perf_counter()
        correlation_id = correlation_id_of(request)
        logs.bind(correlation_id=correlation_id)
        request.correlation_id = correlation_id
        if has_unstorable([request.path, *request.args.items(multi=True)]):
            response = error_response(400, "malformed_request", "Địa chỉ (URL) " + UNSTORABLE_MESSAGE)
        else:
            response = self.answer(request)
        response.headers["X-Correlation-Id"] = correlation_id
        service = self.container.service_name
        REQUESTS.labels(service, self.url, request.method, response.status_code).inc()
        LATENCY.labels(service, self.url, request.method).observe(time.perf_counter() - started)
        return response

    def answer(self, request):
        """The response of the service's method, run in a worker (nameko's way)."""
        return super().handle_request(request)

    def response_from_exception(self, exc):
        response = self._error_response(exc)
        if isinstance(exc, ANSWERED_ERRORS):
            self._log_answered(exc, response)
        return response

    def _log_answered(self, exc, response):
        """One line, no traceback, nothing of the request's content (it may be personal)."""
        body = json.loads(response.get_data())
        log.log(logging.WARNING if response.status_code >= 500 else logging.INFO,
                "request answered with an error", extra={
                    "status": response.status_code, "error_code": body["error"]["code"],
                    "method": self.method, "route": self.url,
                    "exception": type(exc).__name__})

    def _error_response(self, exc):
        if isinstance(exc, OverflowError):
            # date arithmetic on a date near year 1 or 9999 that a schema let through
            return error_response(422, "validation_failed",
                                  "Có ngày tháng hoặc con số nằm quá xa ngoài phạm vi xử lý được.")
        if isinstance(exc, ApiError):
            return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)
        if isinstance(exc, DomainError):
            retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
            return error_response(http_status(exc), exc.code, exc.message, exc.fields, retry)
        if isinstance(exc, AuthError):
            code = "unauthenticated" if exc.status == 401 else "forbidden"
            return error_response(exc.status, code, exc.message)
        if isinstance(exc, ValidationError):
            return error_response(
                422, "validation_failed", FIELDS_INVALID,
                flatten_messages(exc.messages),
            )
        if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
            # the database is restarting or unreachable: the caller should try again shortly
            return error_response(503, "database_unavailable",
                                  "Cơ sở dữ liệu tạm thời không kết nối được; xin thử lại sau "
                                  "giây lát (gửi lại với cùng Idempotency-Key thì hồ sơ không "
                                  "bị lưu hai lần).", headers={"Retry-After": "2"})
        log.error("unhandled error in %s %s", self.method, self.url, exc_info=exc)
        return error_response(500, "internal_error",
                              "Lỗi hệ thống; sự cố đã được ghi lại để xử lý.")


api = ApiEndpoint.decorator


class OpsEndpoint(ApiEndpoint):
    """An operations endpoint (/health, /ready, /metrics), answered in the HTTP server's own
    green thread instead of a worker: a service whose workers are all taken by a backlog of
    events still answers its probes and scrapes, where a probe waiting for a free worker would
    time out and Kubernetes would restart a pod that is only busy. The method gets a
    `RunningService` as `self` (the service's name, settings and database pool)."""

    def answer(self, request):
        method = getattr(self.container.service_cls, self.method_name)
        try:
            return method(RunningService(self.container), request)
        except Exception as exc:  # noqa: BLE001 - answered as every endpoint answers errors
            return self.response_from_exception(exc)


class RunningService:
    """What an operations endpoint reads of a service without a worker."""

    def __init__(self, container):
        self.name = container.service_name
        self.config = container.config
        self.db = next((provider.pool for provider in container.dependencies
                        if provider.attr_name == "db"), None)


ops = OpsEndpoint.decorator


class LogContext(DependencyProvider):
    """Binds the HTTP request's correlation id to the logs of the worker that handles it
    (the worker runs in its own green thread, not the one that parsed the request)."""

    def worker_setup(self, worker_ctx):
        logs.clear()
        request = worker_ctx.args[0] if worker_ctx.args else None
        correlation_id = getattr(request, "correlation_id", None)
        if correlation_id:
            logs.bind(correlation_id=correlation_id)


class OpsEndpoints:
    """Mixed into every service: /health (alive, cheap), /ready (database, migrations and the
    service's own broker connection), /metrics (Prometheus). The service defines `name` and
    `db`."""

    config = Config()
    log_context = LogContext()

    @ops("GET", "/health", summary="The process is alive (touches neither broker nor database)")
    def health(self, request):
        return json_response({"status": "alive", "service": self.name})

    @ops("GET", "/ready", summary="Broker and database reachable, migrations applied",
         responses={503: "not ready; `checks` says what failed"})
    def ready(self, request):
        database, migrations = database_checks(self.db, self.config["DB_URL"], self.name)
        # The connection the service consumes on, not a fresh one: a fresh one succeeds while
        # the consumer's is still reconnecting and nothing is consumed.
        checks = {"database": database, "broker": broker.readiness(self.name),
                  "migrations": migrations}
        ok = all(value in PASSING_CHECKS for value in checks.values())
        return json_response({"ready": ok, "checks": checks}, 200 if ok else 503)

    @ops("GET", "/metrics", summary="Prometheus metrics (text exposition format)")
    def metrics(self, request):
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    @api("GET", "/openapi.json", summary="This service's OpenAPI document")
    def openapi(self, request):
        from .apidocs import openapi_document  # apispec is only needed when asked

        return json_response(openapi_document(type(self)))


# (database URL, service) whose migrations were all found applied: they stay so while this
# code runs, and reading them again at every probe takes yoyo's lock (a row of its own table)
# and a connection of its own, which a busy service waits seconds for.
_MIGRATED = set()


def database_checks(db, db_url, service):
    """(database, migrations) for /ready: "ok", or what is wrong."""
    try:
        with db.transaction() as cur:
            cur.execute("SELECT 1")
        if (db_url, service) not in _MIGRATED:
            if pending(db_url, service):
                return "ok", "pending"
            _MIGRATED.add((db_url, service))
        return "ok", "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return f"unreachable: {type(exc).__name__}", "ok"
