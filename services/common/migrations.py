"""Versioned SQL migrations per service through yoyo-migrations.

Each service keeps its SQL files in services/<name>/migrations and its own schema; yoyo's
bookkeeping tables live in that schema too, so services migrate independently. The kernel's
own tables (outbox, processed messages, idempotency keys, the calendar overrides it learned)
are written once, in kernel_tables.sql, and brought into each service's schema before its
migrations.
"""
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg2
from yoyo import get_backend, read_migrations

from .config import SERVICES_DIR


def _backend_url(db_url, schema):
    parts = urlsplit(db_url)
    query = "&".join(filter(None, [parts.query, urlencode({"schema": schema})]))
    return urlunsplit(("postgresql", parts.netloc, parts.path, query, parts.fragment))


KERNEL_TABLES = Path(__file__).with_name("kernel_tables.sql")


def _ensure_schema(db_url, schema):
    """The schema and the kernel's tables in it (every statement of those is idempotent).
    In production the schema exists, owned by the service's own role, which may not create
    schemas (PostgreSQL checks that right even for CREATE SCHEMA IF NOT EXISTS)."""
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"kernel_tables:{schema}",))
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE SCHEMA "{schema}"')
        cur.execute(KERNEL_TABLES.read_text(encoding="utf-8").replace("{schema}", schema))
    conn.close()


def migrate(db_url, service):
    """Apply the service's pending migrations; returns the ids applied."""
    _ensure_schema(db_url, service)
    backend = get_backend(_backend_url(db_url, service))
    migrations = read_migrations(str(SERVICES_DIR / service / "migrations"))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def pending(db_url, service):
    """Ids of migrations not yet applied (for /ready)."""
    backend = get_backend(_backend_url(db_url, service))
    migrations = read_migrations(str(SERVICES_DIR / service / "migrations"))
    return [m.id for m in backend.to_apply(migrations)]
