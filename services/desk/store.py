"""desk's SQL: accounts, sessions and the audit record."""
SCHEMA = "desk"

ACCOUNT_COLUMNS = ("username, full_name, role, department, post_office, center, active, "
                   "must_change_password")


def insert_account(cur, account):
    """The new account, or None when the username is taken."""
    cur.execute(
        """INSERT INTO desk.accounts (username, full_name, role, department, post_office,
               center, password_hash, created_by, must_change_password)
           VALUES (%(username)s, %(full_name)s, %(role)s, %(department)s, %(post_office)s,
               %(center)s, %(password_hash)s, %(created_by)s, %(must_change)s)
           ON CONFLICT DO NOTHING RETURNING """ + ACCOUNT_COLUMNS, account)
    return cur.fetchone()


def account_for_sign_in(cur, username):
    cur.execute("SELECT *, locked_until > now() AS locked FROM desk.accounts "
                "WHERE username = %s FOR UPDATE", (username,))
    return cur.fetchone()


def record_failure(cur, username, max_failures, lockout_minutes):
    """One more failed attempt; the account locks for a while at `max_failures`."""
    cur.execute(
        """UPDATE desk.accounts
              SET failed_attempts = failed_attempts + 1,
                  locked_until = CASE WHEN failed_attempts + 1 >= %(max)s
                                      THEN now() + make_interval(mins => %(minutes)s)
                                      ELSE locked_until END
            WHERE username = %(username)s
        RETURNING failed_attempts, locked_until > now() AS locked""",
        {"username": username, "max": max_failures, "minutes": lockout_minutes})
    return cur.fetchone()


def clear_failures(cur, username):
    cur.execute("UPDATE desk.accounts SET failed_attempts = 0, locked_until = NULL "
                "WHERE username = %s", (username,))


def set_password(cur, username, password_hash, must_change):
    cur.execute("UPDATE desk.accounts SET password_hash = %s, must_change_password = %s, "
                "failed_attempts = 0, locked_until = NULL WHERE username = %s "
                "RETURNING username", (password_hash, must_change, username))
    return cur.fetchone()


def password_hash_of(cur, username):
    cur.execute("SELECT password_hash FROM desk.accounts WHERE username = %s", (username,))
    row = cur.fetchone()
    return row and row["password_hash"]


def set_active(cur, username, active):
    cur.execute("UPDATE desk.accounts SET active = %s WHERE username = %s RETURNING username",
                (active, username))
    return cur.fetchone()


def list_accounts(cur):
    cur.execute(f"SELECT {ACCOUNT_COLUMNS}, locked_until > now() AS locked, created_at "
                "FROM desk.accounts ORDER BY username")
    return cur.fetchall()


def insert_session(cur, id_hash, username, csrf):
    cur.execute("INSERT INTO desk.sessions (id_hash, username, csrf) VALUES (%s, %s, %s)",
                (id_hash, username, csrf))


def touch_session(cur, id_hash, idle_minutes):
    """The session's account, its last use moved to now; None when unknown, idle too long
    (then removed) or the account disabled."""
    cur.execute(
        """WITH found AS (
               SELECT s.id_hash, s.last_seen > now() - make_interval(mins => %(idle)s) AS fresh
                 FROM desk.sessions s JOIN desk.accounts a USING (username)
                WHERE s.id_hash = %(id)s AND a.active),
           stale AS (DELETE FROM desk.sessions WHERE id_hash = %(id)s
                        AND id_hash NOT IN (SELECT id_hash FROM found WHERE fresh))
           UPDATE desk.sessions s SET last_seen = now()
             FROM desk.accounts a
            WHERE s.id_hash IN (SELECT id_hash FROM found WHERE fresh)
              AND a.username = s.username
        RETURNING s.csrf, """ + ", ".join(f"a.{c.strip()}" for c in ACCOUNT_COLUMNS.split(",")),
        {"id": id_hash, "idle": idle_minutes})
    return cur.fetchone()


def delete_idle_sessions(cur, idle_minutes):
    cur.execute("DELETE FROM desk.sessions WHERE last_seen < now() - make_interval(mins => %s)",
                (idle_minutes,))


def take_secret_check(cur, key, capacity, per_second):
    """One check from the bucket `key`, refilled at `per_second` up to `capacity`: the tokens
    left, negative when the check is refused (a refused check costs a token too, down to -1:
    a client that keeps guessing stays stopped). One statement: concurrent checks of one
    bucket, from any desk process, queue on its row."""
    cur.execute(
        "INSERT INTO desk.secret_check_buckets AS b (key, tokens) VALUES (%(key)s, %(capacity)s - 1)"
        " ON CONFLICT (key) DO UPDATE SET updated_at = now(), tokens = GREATEST(-1, LEAST("
        "%(capacity)s, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * %(rate)s) - 1)"
        " RETURNING tokens", {"key": key, "capacity": capacity, "rate": per_second})
    return cur.fetchone()["tokens"]


def delete_full_secret_check_buckets(cur, refill_seconds):
    """The buckets untouched for longer than the slowest refills entirely: full again, as a
    new one would be."""
    cur.execute("DELETE FROM desk.secret_check_buckets"
                " WHERE updated_at < now() - make_interval(secs => %s)", (refill_seconds,))


def delete_session(cur, id_hash):
    cur.execute("DELETE FROM desk.sessions WHERE id_hash = %s RETURNING username", (id_hash,))
    return cur.fetchone()


def delete_sessions_of(cur, username):
    cur.execute("DELETE FROM desk.sessions WHERE username = %s", (username,))
    return cur.rowcount


def audit(cur, username, action, subject, outcome):
    cur.execute("INSERT INTO desk.audit (username, action, subject, outcome) "
                "VALUES (%s, %s, %s, %s)", (username, action, subject, outcome))


def audit_of(cur, username, limit):
    cur.execute("SELECT at, action, subject, outcome FROM desk.audit WHERE username = %s "
                "ORDER BY id DESC LIMIT %s", (username, limit))
    return cur.fetchall()
