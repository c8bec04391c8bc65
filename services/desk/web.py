"""The desk's pages: `@page` entrypoints that find the signed-in user from the session
cookie, check the CSRF token of every form sent, answer in HTML (errors too) with the
security headers every page carries, and are measured like the services' API routes."""
import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import quote

from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from services.common import logs
from services.common.auth import check_secret
from services.common.documents import environment
from services.common.http import LATENCY, REQUESTS, correlation_id_of

from . import store
from .formats import DAY_PATTERN, DAY_PLACEHOLDER, FILTERS

log = logging.getLogger("motcua.desk")

SESSION_COOKIE = "desk_session"
# before sign-in, the form's token is checked against this cookie (double submit)
SIGN_IN_CSRF_COOKIE = "desk_csrf"
# the citizens' forms (no sign-in): their token is checked against this cookie (double submit)
CITIZEN_CSRF_COOKIE = "desk_form"
SIGNED_IN = "signed_in"  # @page(roles=SIGNED_IN): any signed-in user
# No inline script anywhere, htmx from our own origin; the printed forms carry their own
# <style> blocks, hence inline styles only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

TEMPLATES = environment(__package__)
TEMPLATES.filters.update(FILTERS)
TEMPLATES.globals.update(day_pattern=DAY_PATTERN, day_placeholder=DAY_PLACEHOLDER)


def render(template, status=200, headers=None, **values):
    html = TEMPLATES.get_template(template).render(**values)
    return Response(html, status=status, headers=headers, mimetype="text/html")


def redirect(location, cookies=()):
    response = Response(status=303, headers={"Location": location})
    for cookie in cookies:
        response.set_cookie(**cookie)
    return response


class PageError(Exception):
    """An answer in HTML instead of the page: the status and what the person is told."""

    def __init__(self, status, message, title=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title or ("Không được phép" if status == 403 else "Không thực hiện được")


class SignInNeeded(Exception):
    def __init__(self, back_to="/", message=None):
        super().__init__(message)
        self.back_to = back_to
        self.message = message


def with_citizen_csrf(request, secure, render_page):
    """A citizen's form page: `render_page(csrf)` with the form's token, which the browser also
    keeps in a cookie that the form's POST is checked against."""
    csrf = request.cookies.get(CITIZEN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render_page(csrf)
    response.set_cookie(CITIZEN_CSRF_COOKIE, csrf, httponly=True, samesite="Strict",
                        secure=secure, path="/")
    return response


def session_id_hash(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()


def _signature(secret, value):
    return hmac.new(f"desk-session:{secret}".encode(), value.encode(), hashlib.sha256).hexdigest()


def signed(secret, session_id):
    return f"{session_id}.{_signature(secret, session_id)}"


def unsigned(secret, cookie):
    """The session id of a cookie whose signature is right, or None."""
    session_id, _, signature = (cookie or "").rpartition(".")
    if session_id and hmac.compare_digest(signature, _signature(secret, session_id)):
        return session_id
    return None


def session_cookie(value, settings, max_age=None):
    return {"key": SESSION_COOKIE, "value": value, "httponly": True, "samesite": "Strict",
            "secure": settings.secure_cookies, "path": "/", "max_age": max_age}


def new_session(cur, username, secret, settings):
    """The cookie of a new session of `username`."""
    session_id = secrets.token_urlsafe(32)
    store.insert_session(cur, session_id_hash(session_id), username, secrets.token_urlsafe(32))
    return session_cookie(signed(secret, session_id), settings)


def ended_session_cookie(settings):
    return session_cookie("", settings, max_age=0)


class PageErrorsLoggedOnce(logging.Filter):
    """nameko logs every exception a worker raises at ERROR with its traceback: a page's
    answered refusal (sign-in needed, not allowed, a service's refusal) is logged once by
    `response_from_exception`, so nameko's line is dropped."""

    def filter(self, record):
        worker_ctx = record.args[0] if isinstance(record.args, tuple) and record.args else None
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(getattr(worker_ctx, "entrypoint", None), PageEndpoint)
                    and isinstance(error, PageError | SignInNeeded))


PAGE_ERRORS_FILTER = PageErrorsLoggedOnce()


class PageEndpoint(HttpRequestHandler):
    """`@page('GET', '/path', roles=...)`: roles None is a public page (the sign-in); SIGNED_IN
    any signed-in user; a tuple the roles allowed. The method gets the signed-in user as
    `user` (a dict: the account, its `csrf` token and `session`) when roles is not None."""

    def __init__(self, method, url, *, roles=None, csrf_cookie=SIGN_IN_CSRF_COOKIE,
                 citizen=False, **kwargs):
        self.roles = roles
        self.csrf_cookie = csrf_cookie  # a public form's double-submit cookie
        self.citizen = citizen  # a citizen's page: its refusals lead back to the lookup
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self.secret = check_secret(self.container.config.get("TOKEN_SECRET"))
        logging.getLogger("nameko.containers").addFilter(PAGE_ERRORS_FILTER)  # once

    def _dependency(self, attr):
        for dependency in self.container.dependencies:
            if dependency.attr_name == attr:
                return dependency
        raise LookupError(attr)

    def get_entrypoint_parameters(self, request):
        args, kwargs = super().get_entrypoint_parameters(request)
        if self.roles is not None:
            kwargs["user"] = user = self.signed_in_user(request)
            if request.method == "POST":
                self.check_csrf(request, user["csrf"])
        elif request.method == "POST":
            self.check_csrf(request, request.cookies.get(self.csrf_cookie))
        return args, kwargs

    def signed_in_user(self, request):
        back_to = request.full_path if request.method == "GET" else "/"
        session_id = unsigned(self.secret, request.cookies.get(SESSION_COOKIE))
        if session_id is None:
            raise SignInNeeded(back_to)
        settings = self._dependency("settings").values
        with self._dependency("db").pool.transaction() as cur:
            user = store.touch_session(cur, session_id_hash(session_id), settings.idle_minutes)
        if user is None:
            raise SignInNeeded(back_to, "Phiên làm việc đã hết hạn; hãy đăng nhập lại.")
        user = {**user, "session": session_id_hash(session_id)}
        if user["must_change_password"] and request.path not in ("/password", "/sign-out"):
            raise PageError(303, "/password")
        if self.roles != SIGNED_IN and user["role"] not in self.roles:
            raise PageError(403, "Trang này không dành cho vai trò của bạn.")
        return user

    def check_csrf(self, request, expected):
        given = request.form.get("csrf", "")
        if not expected or not given or not hmac.compare_digest(given, expected):
            raise PageError(403, "Biểu mẫu đã hết hiệu lực (thiếu hoặc sai mã chống giả mạo "
                                 "CSRF). Hãy tải lại trang rồi gửi lại.", "Biểu mẫu không hợp lệ")

    def handle_request(self, request):
        started = time.perf_counter()
        correlation_id = correlation_id_of(request)
        logs.bind(correlation_id=correlation_id)
        request.correlation_id = correlation_id
        response = super().handle_request(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Correlation-Id"] = correlation_id
        service = self.container.service_name
        REQUESTS.labels(service, self.url, request.method, response.status_code).inc()
        LATENCY.labels(service, self.url, request.method).observe(time.perf_counter() - started)
        return response

    def response_from_exception(self, exc):
        if isinstance(exc, SignInNeeded):
            target = "/sign-in?next=" + quote(exc.back_to, safe="")
            if exc.message:
                target += "&expired=1"
            return redirect(target)
        if isinstance(exc, PageError):
            if exc.status == 303:
                return redirect(exc.message)
            log.info("page refused", extra={"status": exc.status, "route": self.url})
            return render("error.html", exc.status, title=exc.title, message=exc.message,
                          user=None, citizen=self.citizen)
        log.error("unhandled error in %s %s", self.method, self.url, exc_info=exc)
        return render("error.html", 500, title="Lỗi hệ thống", user=None, citizen=self.citizen,
                      message="Lỗi hệ thống; sự cố đã được ghi lại để xử lý. Hãy thử lại.")


page = PageEndpoint.decorator
