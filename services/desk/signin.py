"""Signing in and out, and changing one's password."""
import secrets

from . import accounts, store
from .web import (
    SIGN_IN_CSRF_COOKIE,
    ended_session_cookie,
    new_session,
    redirect,
    render,
)

HOMES = {"counter_officer": "/work", "department_officer": "/inbox", "leader": "/inbox",
         "postal_clerk": "/post-office", "manager": "/dashboard"}


def home_of(user):
    return HOMES.get(user["role"], "/password")


def safe_next(target):
    """Only a path of this site (never //host or a scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def sign_in_page(request, settings, errors=None, username="", status=200):
    csrf = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render("sign_in.html", status, user=None, csrf=csrf, errors=errors or {},
                      username=username, next=safe_next(request.values.get("next")) or "",
                      expired=request.args.get("expired") == "1")
    response.set_cookie(SIGN_IN_CSRF_COOKIE, csrf, httponly=True, samesite="Strict",
                        secure=settings.secure_cookies, path="/sign-in")
    return response


def sign_in(db, request, settings, secret):
    form = request.form
    username, password = form.get("username", "").strip(), form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = ["Hãy nhập tên đăng nhập."]
    if not password:
        errors["password"] = ["Hãy nhập mật khẩu."]
    if errors:
        return sign_in_page(request, settings, errors, username, 422)
    with db.transaction() as cur:  # a refusal is committed too: the count and the record
        try:
            account = accounts.sign_in(cur, username, password, settings)
        except accounts.SignInRefused as exc:
            refused = exc.message
        else:
            refused = None
            cookie = new_session(cur, account["username"], secret, settings)
    if refused:
        return sign_in_page(request, settings, {"password": [refused]}, username, 401)
    target = "/password" if account["must_change_password"] else (
        safe_next(form.get("next")) or home_of(account))
    response = redirect(target, [cookie])
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/sign-in")
    return response


def sign_out(db, user, settings, everywhere=False):
    with db.transaction() as cur:
        if everywhere:
            store.delete_sessions_of(cur, user["username"])
        else:
            store.delete_session(cur, user["session"])
        store.audit(cur, user["username"], "sign_out_everywhere" if everywhere else "sign_out",
                    None, "ok")
    return redirect("/sign-in", [ended_session_cookie(settings)])


def password_page(user, errors=None, status=200, done=False):
    return render("password.html", status, user=user, errors=errors or {}, done=done)


def change_password(db, request, user, secret, settings):
    form = request.form
    with db.transaction() as cur:
        errors = accounts.change_password(cur, user["username"], form.get("current", ""),
                                          form.get("new", ""), form.get("repeated", ""))
        if errors:
            return password_page(user, errors, 422)
        # every other session of the account ends; this one goes on under a new id
        store.delete_sessions_of(cur, user["username"])
        cookie = new_session(cur, user["username"], secret, settings)
    return redirect(home_of(user), [cookie])
