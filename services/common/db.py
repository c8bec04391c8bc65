"""PostgreSQL access: a small connection pool, transactions as context managers, and a
nameko dependency that makes psycopg2 cooperative under eventlet (psycogreen)."""
import json
import queue
import re
import threading
import weakref
from contextlib import contextmanager
from functools import partial

import psycopg2
import psycopg2.extras
from nameko.extensions import DependencyProvider

psycopg2.extras.register_uuid()
TIMEZONE_NAME = "Asia/Ho_Chi_Minh"  # deadlines and displayed times are local


def unstorable_at(value, path=""):
    """The dotted path of the first text in `value` that PostgreSQL cannot store (a NUL, or a
    lone UTF-16 surrogate such as JSON's "\\ud800", which has no UTF-8 form), "" for `value`
    itself, or None when all is storable: the boundaries refuse such text naming the field
    instead of failing in the driver."""
    return None if _storable(value) else _unstorable_path(value, path)


def _storable(value):
    """Whether all text in `value` is storable: the check every message and request body
    passes, so no path is spelled out while walking."""
    if isinstance(value, str):
        return "\x00" not in value and (value.isascii() or not _SURROGATE.search(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if not (_storable(key) and _storable(item)):
                return False
    elif isinstance(value, list | tuple):
        for item in value:
            if not _storable(item):
                return False
    return True


def _unstorable_path(value, path):
    if isinstance(value, str):
        return None if _storable(value) else path
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if not _storable(key):
            return here
        found = _unstorable_path(item, here)
        if found is not None:
            return found
    return None


def has_unstorable(value):
    return unstorable_at(value) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")


class Pool:
    """At most `size` connections; a caller waits for a free one instead of failing."""

    def __init__(self, dsn, size=10):
        self._dsn = dsn
        self._idle = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def _connect(self):
        conn = psycopg2.connect(self._dsn, cursor_factory=psycopg2.extras.RealDictCursor,
                                options=f"-c timezone={TIMEZONE_NAME}")
        conn.set_session(autocommit=False)
        return conn

    @contextmanager
    def connection(self):
        self._slots.acquire()
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if conn is not None:
                conn.close()
                conn = None
            raise
        finally:
            if conn is not None:
                if conn.closed:
                    pass
                else:
                    if conn.status != psycopg2.extensions.STATUS_READY:
                        conn.rollback()
                    self._idle.put(conn)
            self._slots.release()

    @contextmanager
    def transaction(self):
        """A cursor inside one transaction: committed on success, rolled back on error."""
        with self.connection() as conn:
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
            except BaseException:
                if not conn.closed:
                    conn.rollback()
                raise

    @contextmanager
    def autocommit(self):
        """A cursor whose every execute commits on its own: one round trip, no BEGIN/COMMIT
        of its own. For work one statement (or one `StatementBatch`) does atomically."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    yield cur
            finally:
                if not conn.closed:
                    conn.autocommit = False

    @contextmanager
    def spelled_out_transaction(self):
        """A cursor for a transaction the caller's own statements open ('BEGIN; …') and
        close ('…; COMMIT'), so BEGIN and COMMIT travel with statements sent anyway instead
        of costing a round trip each. Left open (an error, nothing to commit), it is rolled
        back."""
        with self.autocommit() as cur:
            try:
                yield cur
            finally:
                conn = cur.connection
                if (not conn.closed and conn.info.transaction_status
                        != psycopg2.extensions.TRANSACTION_STATUS_IDLE):
                    cur.execute("ROLLBACK")

    def close(self):
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class Database(DependencyProvider):
    """Injects the service's pool. Config: DB_URL, DB_POOL_SIZE."""

    def setup(self):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
        config = self.container.config
        self.pool = Pool(config["DB_URL"], int(config.get("DB_POOL_SIZE", 10)))

    def stop(self):
        self.pool.close()

    def get_dependency(self, worker_ctx):
        return self.pool


class StatementBatch:
    """Collects statements (the `execute` of a cursor, for writes whose results nobody reads)
    and sends them in one round trip. PostgreSQL runs a multi-statement query as one
    transaction: on an autocommit cursor `run` commits all of them or none."""

    def __init__(self, cur):
        self._cur = cur
        self.connection = cur.connection
        self._statements = []

    def mogrify(self, sql, params=None):
        return self._cur.mogrify(sql, params)

    def execute(self, sql, params=None):
        self._statements.append(self.mogrify(sql, params))

    def run(self):
        if self._statements:
            self._cur.execute(b";\n".join(self._statements))
        self._statements = []


class PreparedStatement:
    """A statement PostgreSQL parses and plans once per connection instead of at every
    execution (for the hot paths, which run the same statements for every dossier).
    Written with `%(name)s` placeholders like any other; a placeholder whose type PostgreSQL
    cannot infer from where it stands needs a cast (`%(day)s::date`). Name the columns it
    returns, never `*`: a column a migration adds while it is prepared would change its result
    and make every later execution fail."""

    PLACEHOLDER = re.compile(r"%\((\w+)\)s")
    _prepared_on = weakref.WeakKeyDictionary()  # connection -> names prepared on it

    def __init__(self, name, sql):
        self.name = name
        self._params = []
        self._prepare = f"PREPARE {name} AS {self.PLACEHOLDER.sub(self._numbered, sql)}"
        self._execute = f"EXECUTE {name} ({', '.join(['%s'] * len(self._params))})"

    def _numbered(self, match):
        if match.group(1) not in self._params:
            self._params.append(match.group(1))
        return f"${self._params.index(match.group(1)) + 1}"

    def statement(self, cur, params):
        """The EXECUTE with these values, to send alone or with others; prepares the
        statement on the connection of the cursor (or StatementBatch) first if it is not yet."""
        prepared = self._prepared_on.setdefault(cur.connection, set())
        if self.name not in prepared:
            with cur.connection.cursor() as own:  # at once, even when `cur` is a batch
                own.execute(self._prepare)  # outlives a rollback: once per connection
            prepared.add(self.name)
        return cur.mogrify(self._execute, [params[name] for name in self._params])

    def execute(self, cur, params):
        """Executes it on a cursor, or adds it to a StatementBatch."""
        cur.execute(self.statement(cur, params))


# Vietnamese text as UTF-8, not \uXXXX escapes: a statement holding a dossier is shorter
# for PostgreSQL to read; jsonb stores the same value either way.
_dumps_unescaped = partial(json.dumps, ensure_ascii=False)


def json_param(value):
    return psycopg2.extras.Json(value, dumps=_dumps_unescaped)
