"""The center's manager manages the staff's accounts in the desk (`motcua users` is for the
first manager): the list, a new account with its first password, disabling, enabling and a
new first password."""
from marshmallow import ValidationError

from services.common.auth import ROLE_NAMES
from services.common.errors import DomainError

from . import accounts, store
from .schemas import ROLES, loaded_account
from .web import redirect, render

FIELDS = ("username", "full_name", "role", "department", "center", "post_office")
LABELS = {"username": "Tên đăng nhập", "full_name": "Họ và tên", "role": "Vai trò",
          "department": "Cơ quan (mã)", "center": "Trung tâm (mã)",
          "post_office": "Bưu điện (mã)", "password": "Mật khẩu ban đầu"}


def accounts_page(db, user, values=None, errors=None, status=200, message=None):
    with db.transaction() as cur:
        listed = store.list_accounts(cur)
    return render("accounts.html", status, user=user, accounts=listed, values=values or {},
                  errors=errors or {}, labels=LABELS, message=message,
                  roles={role: ROLE_NAMES[role] for role in ROLES})


def add_account(db, user, request):
    form = request.form
    values = {name: form.get(name, "").strip() for name in FIELDS}
    try:
        account = loaded_account(values)
        with db.transaction() as cur:
            accounts.add(cur, account, form.get("password", ""), user["username"])
    except ValidationError as exc:
        errors = {name: [str(m) for m in messages]
                  for name, messages in exc.normalized_messages().items()}
        return accounts_page(db, user, values, errors, 422)
    except DomainError as exc:
        return accounts_page(db, user, values, exc.fields or {"username": [exc.message]}, 422)
    return redirect(f"/accounts?added={account['username']}")


def change_account(db, user, username, request):
    """Disable, enable, or give a new first password (the account's sessions end)."""
    action = request.form.get("action")
    try:
        with db.transaction() as cur:
            if action == "reset":
                accounts.reset_password(cur, username, request.form.get("password", ""),
                                        user["username"])
            else:
                accounts.set_active(cur, username, action == "enable", user["username"])
    except DomainError as exc:
        messages = [m for ms in (exc.fields or {}).values() for m in ms] or [exc.message]
        return accounts_page(db, user, errors={f"password-{username}": messages}, status=422)
    return accounts_page(db, user, message=f"Đã cập nhật tài khoản {username}.")
