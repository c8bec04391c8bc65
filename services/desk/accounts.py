"""Staff accounts: argon2id password hashes, a first password that must be changed, lockout
after repeated failures; the token each page's calls carry is minted from the account."""
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.auth import issue_token
from services.common.errors import Conflict, Invalid, NotFound

from . import store

HASHER = PasswordHasher()  # argon2id, the library's recommended parameters
# Compared against when the username is unknown, so that a wrong name takes as long as a
# wrong password and does not tell which names exist.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10
# the pages' calls to the other services: a token lives only as long as one request needs
CALL_TOKEN_SECONDS = 120
WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


class SignInRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def hash_password(password):
    return HASHER.hash(password)


def _verifies(password_hash, password):
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password, username=None):
    """The message naming what is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    if username and username.lower() in password.lower():
        return "Mật khẩu không được chứa tên đăng nhập."
    if password.isdigit() or password.isalpha():
        return "Mật khẩu phải có cả chữ và chữ số (hoặc ký hiệu)."
    return None


def add(cur, account, password, created_by, must_change=True):
    problem = check_new_password(password, account["username"])
    if problem:
        raise Invalid("Mật khẩu ban đầu không dùng được.", {"password": [problem]})
    created = store.insert_account(cur, {**account, "password_hash": hash_password(password),
                                         "created_by": created_by, "must_change": must_change})
    if created is None:
        raise Conflict(f"Tên đăng nhập {account['username']} đã có người dùng.",
                       "username_taken", {"username": ["Đã có tài khoản với tên này."]})
    store.audit(cur, created_by, "account_added", account["username"], "ok")
    return created


def sign_in(cur, username, password, settings):
    """The account when the password is right; SignInRefused otherwise (every attempt is
    recorded, and enough wrong ones lock the account for a while)."""
    account = store.account_for_sign_in(cur, username)
    if account is None:
        _verifies(_DUMMY_HASH, password)
        store.audit(cur, username[:100], "sign_in", None, "unknown_user")
        raise SignInRefused(WRONG_CREDENTIALS)
    if not account["active"]:
        store.audit(cur, username, "sign_in", None, "disabled")
        raise SignInRefused("Tài khoản đã bị khóa; hãy liên hệ lãnh đạo trung tâm.")
    if account["locked"]:
        store.audit(cur, username, "sign_in", None, "locked")
        raise SignInRefused(f"Đăng nhập sai quá {settings.max_failures} lần: tài khoản tạm khóa "
                            f"{settings.lockout_minutes} phút.")
    if not _verifies(account["password_hash"], password):
        failed = store.record_failure(cur, username, settings.max_failures,
                                      settings.lockout_minutes)
        store.audit(cur, username, "sign_in", None, "wrong_password")
        if failed["locked"]:
            raise SignInRefused(f"Đăng nhập sai quá {settings.max_failures} lần: tài khoản tạm "
                                f"khóa {settings.lockout_minutes} phút.")
        raise SignInRefused(WRONG_CREDENTIALS)
    if HASHER.check_needs_rehash(account["password_hash"]):
        store.set_password(cur, username, hash_password(password),
                           account["must_change_password"])
    store.clear_failures(cur, username)
    store.audit(cur, username, "sign_in", None, "ok")
    return account


def change_password(cur, username, current, new, repeated):
    """{field: [message]} of what is wrong, or {} once changed (every other session ends)."""
    if not _verifies(store.password_hash_of(cur, username) or _DUMMY_HASH, current):
        return {"current": ["Mật khẩu hiện tại không đúng."]}
    problem = check_new_password(new, username)
    if problem:
        return {"new": [problem]}
    if new != repeated:
        return {"repeated": ["Hai lần nhập mật khẩu mới không giống nhau."]}
    if new == current:
        return {"new": ["Mật khẩu mới phải khác mật khẩu hiện tại."]}
    store.set_password(cur, username, hash_password(new), False)
    store.audit(cur, username, "password_changed", username, "ok")
    return {}


def reset_password(cur, username, password, by):
    """A new first password (to be changed at the next sign-in); the account's sessions end."""
    problem = check_new_password(password, username)
    if problem:
        raise Invalid("Mật khẩu mới không dùng được.", {"password": [problem]})
    if store.set_password(cur, username, hash_password(password), True) is None:
        raise NotFound(f"Không có tài khoản {username}.")
    store.delete_sessions_of(cur, username)
    store.audit(cur, by, "password_reset", username, "ok")


def set_active(cur, username, active, by):
    if store.set_active(cur, username, active) is None:
        raise NotFound(f"Không có tài khoản {username}.")
    if not active:
        store.delete_sessions_of(cur, username)
    store.audit(cur, by, "account_enabled" if active else "account_disabled", username, "ok")


def call_token(secret, user):
    """A short-lived bearer token for the signed-in user: the owning services authorise the
    page's calls as they would the officer's own."""
    return issue_token(secret, user["role"], department=user["department"],
                       post_office=user["post_office"], center=user["center"],
                       subject=user["username"], ttl=CALL_TOKEN_SECONDS)
