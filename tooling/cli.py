"""motcua: the operator's command line.

  motcua migrate                      apply every service's migrations, declare event queues
  motcua catalogue load FILE          validate and load the procedure catalogue
  motcua catalogue check FILE         validate only
  motcua token --role ROLE [...]      print a bearer token
  motcua relay SERVICE                run a service's outbox relay
  motcua ledger verify                check payment's hash-chained ledger (exit 1 if tampered)
  motcua run                          start everything (honcho, Procfile; a test clamd when
                                      none answers at CLAMD_ADDRESS)
  motcua dlq list|show|replay|purge   the dead-letter queue: see, replay after a fix, purge
  motcua departments provision [...]  RabbitMQ definitions (queues, users) from the catalogue
  motcua docs                         write docs/openapi-<service>.json and docs/asyncapi.yaml
  motcua backup [-o DIR]              back up the database and the broker's definitions
  motcua restore BACKUP [...]         restore a backup into an empty database (--recovered: after
                                      a recovery by other means)
  motcua calendar list|add|remove     the province's days off and working days (through intake)
  motcua users add|disable|enable|reset-password|list
                                      the desk's staff accounts (the first manager's, say)
  motcua docstore test-ca [--dir DIR] a local test CA and signing keys (NOT for production)
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

# nameko's CLI imports pkg_resources and eventlet announces its deprecation: noise for operators.
warnings.filterwarnings("ignore", message=".*pkg_resources.*")
warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

from services.common import logs  # noqa: E402 - after the warning filters
from services.common.auth import DEFAULT_TTL_SECONDS, ROLE_SCOPES, issue_token  # noqa: E402
from services.common.config import SERVICE_NAMES, load_config  # noqa: E402
from tooling import ROOT, clamav  # noqa: E402
from tooling.backup import add_commands as add_backup_commands  # noqa: E402
from tooling.users import add_commands as add_users_commands  # noqa: E402


def _settings():
    return load_config("intake")


def cmd_migrate(args):
    from services.common.migrations import migrate
    from services.common.topology import with_channel
    from tooling.topology import QueueInUse, declare_event_queues

    settings = _settings()
    for service in args.service or SERVICE_NAMES:
        applied = migrate(settings["DB_URL"], service)
        print(f"{service}: {len(applied)} migration(s) applied" + (f": {', '.join(applied)}"
                                                                    if applied else ""))
    if args.skip_queues:
        return 0
    try:
        with_channel(settings["AMQP_URI"], declare_event_queues)
    except QueueInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("event queues declared")


def cmd_catalogue(args):
    from psycopg2 import connect

    from services.common.topology import declare_department_queues, with_channel
    from services.intake.catalogue import CatalogueError, read_catalogue
    from services.intake.store import save_catalogue

    try:
        catalogue = read_catalogue(args.file)
    except CatalogueError as exc:
        print(f"catalogue {args.file} rejected, nothing loaded:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    counts = f"{len(catalogue['departments'])} departments, {len(catalogue['procedures'])} procedures"
    if args.action == "check":
        print(f"catalogue valid: {counts}")
        return 0
    settings = _settings()
    import psycopg2.extras

    with connect(settings["DB_URL"], cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            save_catalogue(cur, catalogue)
    conn.close()
    with_channel(settings["AMQP_URI"], declare_department_queues, sorted(catalogue["departments"]))
    print(f"catalogue loaded: {counts}; department queues declared")
    return 0


def cmd_token(args):
    secret = os.environ.get("TOKEN_SECRET") or _settings().get("TOKEN_SECRET")
    try:
        print(issue_token(secret, args.role, department=args.department,
                          post_office=args.post_office, subject=args.subject, ttl=args.ttl,
                          center=args.center))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_relay(args):
    from services.common.relay import main
    from tooling.relays import confirmed_event_observer

    main(args.service, load_config(args.service),
         on_confirmed=confirmed_event_observer(args.service))


def cmd_ledger(args):
    from services.payment.ledger import verify_command

    return verify_command(load_config("payment")["DB_URL"])


def cmd_run(args):
    os.chdir(ROOT)
    # honcho, and the Procfile's nameko and motcua, sit beside this interpreter: found even
    # when the virtual environment was not activated (`.venv/bin/motcua run`)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    command = ["honcho", "start", "-f", str(ROOT / "Procfile")]
    address = load_config("docstore")["CLAMD_ADDRESS"]
    port = clamav.local_port(address)
    if port is None or clamav.answers("127.0.0.1", port):
        os.execvpe("honcho", command, env)
    # docstore refuses every upload (503) without a scanner: a local one, stopped with them
    print(f"no clamd answers at {address}: starting one there with the EICAR test signature "
          "alone (uploads are scanned, but NOT against real viruses)", flush=True)
    with clamav.Clamd(port):
        return run_beside(command, env)


def run_beside(command, env):
    """Runs `command` to its end: a Ctrl-C reaches it from the terminal (this process waits
    for it to stop its own), a SIGTERM is passed on."""
    process = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    return process.wait()


def cmd_dlq(args):
    from services.common.dead_letters import DeadLetters
    from services.common.errors import DomainError

    if args.action in ("replay", "purge") and not args.keys and not args.all:
        print(f"error: name the messages to {args.action} (keys from `motcua dlq list`) or give --all",
              file=sys.stderr)
        return 2
    if args.action == "show" and len(args.keys) != 1:
        print("error: show takes exactly one key", file=sys.stderr)
        return 2
    keys = None if args.all else args.keys
    try:
        with DeadLetters(_settings()["AMQP_URI"]) as queue:
            if args.action == "list":
                result = queue.list()
            elif args.action == "show":
                result = queue.show(args.keys[0])
            else:
                done = queue.replay(keys) if args.action == "replay" else queue.purge(keys)
                result = {"action": args.action, "messages": done}
    except DomainError as exc:  # what the queue cannot do, or the broker unreachable
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


def _catalogue_departments(path):
    from services.intake.catalogue import DEFAULT_FILE, CatalogueError, read_catalogue

    path = path or DEFAULT_FILE
    try:
        return sorted(read_catalogue(path)["departments"])
    except CatalogueError as exc:
        print(f"catalogue {path} rejected:", *(f"  - {p}" for p in exc.problems),
              sep="\n", file=sys.stderr)
        return None


def cmd_departments(args):
    """Print, write (-o) and/or apply the departments' RabbitMQ definitions."""
    from tooling.provision.rabbitmq import (
        ProvisionError,
        apply_definitions,
        definitions,
        read_passwords,
        write_definitions,
    )

    departments = _catalogue_departments(args.catalogue)
    if departments is None:
        return 2
    try:
        passwords = read_passwords(args.passwords) if args.passwords else None
        document = definitions(departments, vhost=args.vhost, passwords=passwords)
        if args.output:
            print(f"definitions written to {write_definitions(document, args.output)}")
        elif not args.apply:
            print(json.dumps(document, indent=2, ensure_ascii=False))
        if args.apply:
            apply_definitions(document, args.apply)
            print(f"definitions applied: {len(departments)} department queues and users")
    except ProvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_docs(args):
    from tooling.docs import write_docs

    departments = _catalogue_departments(args.catalogue)
    if departments is None:
        return 2
    for path in write_docs(departments):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def cmd_calendar(args):
    """The calendar's overrides through intake's HTTP API, as a manager: every service follows
    a change at once."""
    from tooling.calendar import CalendarError, change_calendar

    secret = os.environ.get("TOKEN_SECRET") or _settings().get("TOKEN_SECRET")
    try:
        token = issue_token(secret, "manager", subject=args.subject, ttl=300)
        overrides = change_calendar(args.intake_url, token, args.action, args.day, args.kind,
                                    args.note)
    except (ValueError, CalendarError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    print(f"revision {overrides['revision']}")
    for label, days in (("day off", overrides["days_off"]),
                        ("working day", overrides["working_days"])):
        for day in days:
            note = f"  {day['note']}" if day["note"] else ""
            print(f"{day['day']}  {label:<11}  {day['changed_by']}{note}")
    return 0


def cmd_portal(args):
    """The DVCQG link through nationalportal's HTTP API, as a manager."""
    from tooling.portal import PortalError, portal_command, printed

    secret = os.environ.get("TOKEN_SECRET") or _settings().get("TOKEN_SECRET")
    try:
        token = issue_token(secret, "manager", subject=args.subject, ttl=900)
        report = portal_command(args.url, token, args.action, args.since)
    except (ValueError, PortalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    print(printed(args.action, report))
    return 0 if args.action == "reconcile" or report["matches"] else 1


def cmd_docstore(args):
    from services.docstore import testca

    directory = args.dir or Path(load_config("docstore")["DOCSTORE_LOCAL_KEY_DIR"])
    if testca.create(directory):
        print(f"test CA written to {directory}: {testca.NOT_FOR_PRODUCTION}")
    else:
        print(f"a test CA is already in {directory}: kept")


def build_parser():
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    migrate = sub.add_parser("migrate", help="apply migrations and declare event queues")
    migrate.add_argument("--service", action="append", choices=SERVICE_NAMES)
    migrate.add_argument("--skip-queues", action="store_true",
                         help="the database only (a service's own role migrating its schema)")
    migrate.set_defaults(func=cmd_migrate)

    catalogue = sub.add_parser("catalogue", help="procedure catalogue")
    catalogue.add_argument("action", choices=("load", "check"))
    catalogue.add_argument("file", type=Path)
    catalogue.set_defaults(func=cmd_catalogue)

    token = sub.add_parser("token", help="print a bearer token")
    # a citizen's token opens one dossier and is minted by the desk once it has checked the
    # lookup secret: never by hand
    token.add_argument("--role", required=True,
                       choices=sorted(set(ROLE_SCOPES) - {"citizen"}))
    token.add_argument("--department")
    token.add_argument("--post-office")
    token.add_argument("--center", help="a counter officer's one-stop center (catalogue code)")
    token.add_argument("--subject", help="who the token is for (officer's account)")
    token.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="seconds")
    token.set_defaults(func=cmd_token)

    relay = sub.add_parser("relay", help="run a service's outbox relay")
    relay.add_argument("service", choices=SERVICE_NAMES)
    relay.set_defaults(func=cmd_relay)

    dlq = sub.add_parser("dlq", help="the dead-letter queue")
    dlq.add_argument("action", choices=("list", "show", "replay", "purge"))
    dlq.add_argument("keys", nargs="*", help="message keys (envelope ids) from `dlq list`")
    dlq.add_argument("--all", action="store_true", help="replay or purge every message")
    dlq.set_defaults(func=cmd_dlq)

    departments = sub.add_parser("departments", help="department queues and users on RabbitMQ")
    departments.add_argument("action", choices=("provision",))
    departments.add_argument("--catalogue", type=Path, help="default: the bundled catalogue")
    departments.add_argument("--vhost", default="/")
    departments.add_argument("--passwords", type=Path,
                             help="YAML/JSON {department or user: password} (users motcua, "
                             "motcua-operations, motcua-admin, motcua-monitoring); never commit it")
    departments.add_argument("--output", "-o", type=Path,
                             help="definitions file, e.g. deploy/rabbitmq/definitions.json")
    departments.add_argument("--apply", metavar="MANAGEMENT_URL",
                             help="import through the management API, http://user:pass@host:15672")
    departments.set_defaults(func=cmd_departments)

    docs = sub.add_parser("docs", help="write the OpenAPI and AsyncAPI documents into docs/")
    docs.add_argument("--catalogue", type=Path, help="default: the bundled catalogue")
    docs.set_defaults(func=cmd_docs)

    calendar = sub.add_parser("calendar", help="the province's days off and working days",
                              description="Days that differ from the national calendar, kept by "
                              "intake; a change reaches every service without a restart.")
    calendar.add_argument("action", choices=("list", "add", "remove"))
    calendar.add_argument("day", nargs="?", help="YYYY-MM-DD (add, remove)")
    kind = calendar.add_mutually_exclusive_group()
    kind.add_argument("--day-off", dest="kind", action="store_const", const="day_off",
                      help="add: a day off the national calendar does not have")
    kind.add_argument("--working-day", dest="kind", action="store_const", const="working_day",
                      help="add: a weekend day or holiday worked")
    calendar.add_argument("--note", help="add: why (the decision that sets it)")
    calendar.add_argument("--subject", default="motcua-cli", help="who changes it")
    calendar.add_argument("--intake-url", default=os.environ.get("INTAKE_URL",
                                                                 "http://127.0.0.1:8001"),
                          help="intake's address (default $INTAKE_URL or http://127.0.0.1:8001)")
    calendar.set_defaults(func=cmd_calendar)

    portal = sub.add_parser("portal", help="the National Public Service Portal (DVCQG) link",
                            description="reconcile: compare the dossiers received since a "
                            "day with DVCQG's and push again what differs. import-catalogue: "
                            "compare DVCQG's procedures, agencies and lĩnh vực with the local "
                            "catalogue (reported, nothing changed; exit 1 when they differ).")
    portal.add_argument("action", choices=("reconcile", "import-catalogue"))
    portal.add_argument("--since", help="reconcile: YYYY-MM-DD or an ISO moment")
    portal.add_argument("--subject", default="motcua-cli", help="who asks")
    portal.add_argument("--url", default=os.environ.get("NATIONALPORTAL_URL",
                                                        "http://127.0.0.1:8007"),
                        help="nationalportal's address (default $NATIONALPORTAL_URL or "
                             "http://127.0.0.1:8007)")
    portal.set_defaults(func=cmd_portal)

    ledger = sub.add_parser("ledger", help="payment's money ledger")
    ledger.add_argument("action", choices=("verify",))
    ledger.set_defaults(func=cmd_ledger)

    docstore = sub.add_parser("docstore", help="documents: the local test CA")
    docstore.add_argument("action", choices=("test-ca",))
    docstore.add_argument("--dir", type=Path, help="default: DOCSTORE_LOCAL_KEY_DIR (var/test-ca)")
    docstore.set_defaults(func=cmd_docstore)

    run = sub.add_parser("run", help="start every service and relay (honcho, Procfile)")
    run.set_defaults(func=cmd_run)
    add_backup_commands(sub)
    add_users_commands(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command not in ("relay",):
        logs.setup("WARNING")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
