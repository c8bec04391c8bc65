"""`motcua users`: staff accounts of the desk from the command line (the first manager, and
help for one locked out); the manager manages the others in the desk."""
import getpass
import os
import sys

import psycopg2
import psycopg2.extras
from marshmallow import ValidationError

from services.common.config import load_config
from services.common.errors import DomainError
from services.desk import accounts, store
from services.desk.schemas import ROLES, loaded_account

OPERATOR = "cli"


def _password(args):
    """--password-env names a variable holding it (a password never on the command line);
    otherwise asked twice on the terminal."""
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"error: ${args.password_env} is empty")
        return value
    first = getpass.getpass("Mật khẩu ban đầu: ")
    if first != getpass.getpass("Nhập lại: "):
        raise SystemExit("error: the two passwords differ")
    return first


def cmd_users(args):
    conn = psycopg2.connect(load_config("desk")["DB_URL"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            return _run(cur, args)
    except (DomainError, ValidationError) as exc:
        fields = exc.fields if isinstance(exc, DomainError) else exc.normalized_messages()
        print(f"error: {getattr(exc, 'message', '')} {fields or ''}".strip(), file=sys.stderr)
        return 2
    finally:
        conn.close()


def _run(cur, args):
    if args.action != "list" and not args.username:
        raise SystemExit(f"error: users {args.action} needs a username")
    if args.action == "add":
        account = loaded_account({"username": args.username, "full_name": args.full_name,
                                  "role": args.role, "department": args.department,
                                  "post_office": args.post_office, "center": args.center})
        accounts.add(cur, account, _password(args), OPERATOR, not args.keep_password)
        print(f"account {account['username']} added ({account['role']})"
              + ("" if args.keep_password else "; the password must be changed at the first "
                                               "sign-in"))
    elif args.action == "reset-password":
        accounts.reset_password(cur, args.username, _password(args), OPERATOR)
        print(f"{args.username}: new first password set, its sessions ended")
    elif args.action in ("disable", "enable"):
        accounts.set_active(cur, args.username, args.action == "enable", OPERATOR)
        print(f"{args.username}: {args.action}d")
    else:
        for row in store.list_accounts(cur):
            scope = row["department"] or row["post_office"] or row["center"] or "-"
            state = "active" if row["active"] else "disabled"
            print(f"{row['username']}\t{row['role']}\t{scope}\t{state}\t{row['full_name']}")
    return 0


def add_commands(sub):
    users = sub.add_parser("users", help="the desk's staff accounts")
    users.add_argument("action", choices=("add", "disable", "enable", "reset-password", "list"))
    users.add_argument("username", nargs="?")
    users.add_argument("--full-name")
    users.add_argument("--role", choices=ROLES)
    users.add_argument("--department")
    users.add_argument("--post-office")
    users.add_argument("--center")
    users.add_argument("--password-env", help="the environment variable holding the password "
                                              "(otherwise asked on the terminal)")
    users.add_argument("--keep-password", action="store_true",
                       help="the first password need not be changed (demo accounts)")
    users.set_defaults(func=cmd_users)
