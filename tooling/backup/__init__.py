"""`motcua backup` and `motcua restore`: the database and the broker's definitions, on one
machine (docs/operations.md, "Backups and the restore drill").

A backup is a directory `motcua-<UTC time>/` holding `database.dump` (pg_dump's custom
format: every service's schema, at one snapshot taken after `taken_at`),
`rabbitmq-definitions.json` (the virtual host's queues, exchanges, bindings, policies,
permissions and the users they name, with their password hashes) and `manifest.json`
(times, versions, sizes, SHA-256 of both). It holds every citizen's personal data: the
directory and its files are readable by their owner only.

A restore goes into an empty database and any virtual host: it imports the definitions
(creating only the users the broker lacks), restores the dump in one transaction (all of it
or nothing), declares the event and department queues from the code and the restored
catalogue, and makes the outboxes publish again every event a subscriber had not recorded
when the backup was taken: those were in the broker then, and a broker that was replaced or
has moved on no longer holds them for these consumers. Consumers skip the ones they had
(processed-message tables); events their handling makes carry the ids they had the first
time (services/common/events.py), so a department recognises what it already took. With
`--departments-since`, department messages published since then are sent again too, for a
broker that was lost with messages the departments had not yet taken.

`motcua restore --recovered` does the broker and outbox steps for a database recovered by
other means (CloudNativePG's point-in-time recovery).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg2
import psycopg2.extras

from services.common.config import SERVICE_NAMES, load_config
from services.common.topology import declare_department_queues, with_channel
from tooling.topology import declare_event_queues, subscriptions

from . import broker, store

DATABASE_FILE = "database.dump"
DEFINITIONS_FILE = "rabbitmq-definitions.json"
MANIFEST_FILE = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """What went wrong, for the operator; nothing was changed, or the step says what was."""


def _settings():
    return load_config("intake")


# PostgreSQL's tools ---------------------------------------------------------------------------

def _tool(name):
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools "
                          "(Debian: apt-get install postgresql-client)")
    return path


def _libpq(db_url):
    """The URL without its password, and an environment giving the password to libpq, so
    that the password never shows on a command line."""
    parts = urlsplit(db_url)
    env = {**os.environ}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.netloc.rpartition("@")[2]
        user = f"{quote(unquote(parts.username), safe='')}@" if parts.username else ""
        parts = parts._replace(netloc=user + host)
    return parts.geturl(), env


def _run(command, env):
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def _database_name(db_url):
    return unquote(urlsplit(db_url).path.lstrip("/"))


def _maintenance_url(db_url):
    return urlsplit(db_url)._replace(path="/postgres").geturl()


def _digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _file_entry(path):
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": _digest(path)}


# backup ---------------------------------------------------------------------------------------

def take_backup(output, db_url, amqp_uri, management_url=None):
    """A new backup directory under `output`; returns its path."""
    management = broker.Management(management_url or broker.management_url(amqp_uri))
    vhost = broker.vhost_of(amqp_uri)
    taken_at = datetime.now(UTC)
    target = Path(output) / f"motcua-{taken_at:%Y%m%dT%H%M%S%fZ}"
    target.mkdir(mode=0o700, parents=True)
    dump = target / DATABASE_FILE
    url, env = _libpq(db_url)
    _run([_tool("pg_dump"), "--format=custom", "--no-password", "--lock-wait-timeout=60s",
          f"--file={dump}", f"--dbname={url}"], env)
    dump.chmod(0o600)
    definitions = target / DEFINITIONS_FILE
    definitions.write_text(json.dumps(broker.export_vhost(management, vhost), indent=2,
                                      ensure_ascii=False), encoding="utf-8")
    definitions.chmod(0o600)
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    conn.close()
    manifest = {
        "format": FORMAT,
        "taken_at": taken_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "database": {**_file_entry(dump), "name": _database_name(db_url),
                     "server_version": server_version,
                     "pg_dump": _run([_tool("pg_dump"), "--version"], env).strip()},
        "broker": {**_file_entry(definitions), "vhost": vhost,
                   "rabbitmq_version": broker.broker_version(management)},
    }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (target / MANIFEST_FILE).chmod(0o600)
    return target


def read_backup(path):
    """The manifest of a backup directory, after checking its files against it."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a motcua backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r}, expected {FORMAT}")
    for part in ("database", "broker"):
        entry = manifest[part]
        file = path / entry["file"]
        if not file.is_file() or _digest(file) != entry["sha256"]:
            raise BackupError(f"{file} is missing or does not match its SHA-256 in the manifest")
    return manifest


# restore --------------------------------------------------------------------------------------

def _empty_database(db_url):
    """Creates the database when missing; refuses one that holds a service's schema."""
    name = _database_name(db_url)
    conn = psycopg2.connect(_maintenance_url(db_url))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if not store.database_exists(cur, name):
                store.create_database(cur, name)
                return
    finally:
        conn.close()
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        present = store.schemas_present(cur, SERVICE_NAMES)
    conn.close()
    if present:
        raise BackupError(f"database {name} already holds {', '.join(present)}: a backup is "
                          "restored into an empty database only")


def _restored_departments(db_url):
    from services.intake.store import list_departments

    with psycopg2.connect(db_url, cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            codes = [row["code"] for row in list_departments(cur)]
    conn.close()
    return codes


def republish(db_url, departments_since=None):
    """The outbox step of a restore: {"unconsumed": {service: rows}, "departments": ...}."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        services = store.services_with_outbox(cur, SERVICE_NAMES)
        marked = {"unconsumed": store.republish_unconsumed(cur, subscriptions())}
        if departments_since is not None:
            marked["departments"] = store.republish_department_messages(
                cur, services, departments_since)
        marked["to_publish"] = store.unpublished_counts(cur, services)
    conn.close()
    return marked


def rebuild_topology(db_url, amqp_uri):
    """The event queues from the code, the department queues from the restored catalogue."""
    departments = _restored_departments(db_url)
    with_channel(amqp_uri, declare_event_queues)
    with_channel(amqp_uri, declare_department_queues, departments)
    return departments


def restore(backup, db_url, amqp_uri, management_url=None, departments_since=None):
    started = time.monotonic()
    manifest = read_backup(backup)
    vhost = broker.vhost_of(amqp_uri)
    management = broker.Management(management_url or broker.management_url(amqp_uri))
    definitions = json.loads((Path(backup) / DEFINITIONS_FILE).read_text(encoding="utf-8"))
    _empty_database(db_url)
    imported = broker.import_vhost(management, definitions, vhost)
    url, env = _libpq(db_url)
    _run([_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-password",
          f"--dbname={url}", str(Path(backup) / DATABASE_FILE)], env)
    departments = rebuild_topology(db_url, amqp_uri)
    marked = republish(db_url, departments_since)
    return {"backup_taken_at": manifest["taken_at"], "database": _database_name(db_url),
            "vhost": vhost, "definitions_imported": imported,
            "department_queues": len(departments), "republished": marked,
            "seconds": round(time.monotonic() - started, 2)}


def recovered(db_url, amqp_uri, departments_since=None):
    """For a database recovered by other means: topology, then the outbox step."""
    departments = rebuild_topology(db_url, amqp_uri)
    return {"database": _database_name(db_url), "vhost": broker.vhost_of(amqp_uri),
            "department_queues": len(departments),
            "republished": republish(db_url, departments_since)}


# command line ---------------------------------------------------------------------------------

def _moment(text):
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("give the offset, e.g. 2026-08-20T14:00+07:00")
    return value


def cmd_backup(args):
    settings = _settings()
    try:
        path = take_backup(args.output, settings["DB_URL"], settings["AMQP_URI"], args.management)
    except (BackupError, broker.BrokerError, psycopg2.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"backup": str(path), **json.loads((path / MANIFEST_FILE).read_text())},
                     indent=2))
    return 0


def cmd_restore(args):
    if (args.backup is None) == (not args.recovered):
        print("error: give a BACKUP directory, or --recovered for a database recovered by "
              "other means", file=sys.stderr)
        return 2
    settings = _settings()
    db_url = args.database or settings["DB_URL"]
    amqp_uri = broker.with_vhost(settings["AMQP_URI"], args.vhost) if args.vhost \
        else settings["AMQP_URI"]
    try:
        if args.recovered:
            result = recovered(db_url, amqp_uri, args.departments_since)
        else:
            result = restore(args.backup, db_url, amqp_uri, args.management,
                             args.departments_since)
    except (BackupError, broker.BrokerError, psycopg2.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


def add_commands(sub):
    backup = sub.add_parser("backup", help="back up the database and the broker's definitions")
    backup.add_argument("--output", "-o", type=Path, default=Path("backups"),
                        help="directory that receives motcua-<time>/ (default: backups)")
    backup.add_argument("--management", metavar="URL",
                        help="management API, http(s)://user:pass@host:port (default: beside "
                        "AMQP_URI)")
    backup.set_defaults(func=cmd_backup)

    restore_ = sub.add_parser("restore", help="restore a backup into an empty database")
    restore_.add_argument("backup", nargs="?", type=Path, help="a motcua-<time>/ directory")
    restore_.add_argument("--recovered", action="store_true",
                          help="the database was recovered by other means: only the broker's "
                          "topology and the outboxes")
    restore_.add_argument("--database", metavar="URL", help="target database (default: DB_URL)")
    restore_.add_argument("--vhost", help="target virtual host (default: AMQP_URI's)")
    restore_.add_argument("--management", metavar="URL",
                          help="management API (default: beside AMQP_URI)")
    restore_.add_argument("--departments-since", type=_moment, metavar="TIME",
                          help="also send again the department messages published since TIME "
                          "(ISO 8601 with offset): the broker was lost with them")
    restore_.set_defaults(func=cmd_restore)
