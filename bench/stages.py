"""The stages a dossier goes through after its department queue, read from the database.

One thread polls once a second, one query per stage for every accepted code not yet seen
at that stage (`= ANY(%s)`), never one query per dossier:
- `receipt_sms`: notify's receipt SMS accepted by the gateway (`notify.notifications`,
  template 'receipt', channel 'sms', status sent or delivered: its `sent_at`);
- `bill`: payment's fee bill (`payment.bills`, kind 'fee': its `created_at`), only for
  dossiers whose procedure has a fee or charge.
Times are the database's (`now()` of the transaction that wrote them, same machine clock),
converted to this process's `time.monotonic()` so they compare with the submission times.
After the run, `audit_counts` counts every effect per code for the lost/duplicated audit.
"""
import threading
import time

import psycopg2

POLL_SECONDS = 1.0

STAGE_QUERIES = {
    "receipt_sms": """SELECT dossier_code, min(sent_at) FROM notify.notifications
                      WHERE template = 'receipt' AND channel = 'sms'
                        AND status IN ('sent', 'delivered') AND sent_at IS NOT NULL
                        AND dossier_code = ANY(%s) GROUP BY 1""",
    "bill": """SELECT dossier_code, min(created_at) FROM payment.bills
               WHERE kind = 'fee' AND dossier_code = ANY(%s) GROUP BY 1""",
}

# Every effect once per dossier: code -> how many times it exists (run after the stages).
AUDIT_QUERIES = {
    # an online dossier numbered by one formal reception of its submission
    "formal_reception": """SELECT dossier_code, count(*) FROM intake.submissions
                           WHERE status = 'received' GROUP BY 1""",
    "routed": """SELECT dossier_code, count(*) FROM routing.history
                 WHERE status = 'assigned' GROUP BY 1""",
    "receipt_sms": """SELECT dossier_code, count(*) FROM notify.notifications
                      WHERE template = 'receipt' AND channel = 'sms' GROUP BY 1""",
    "bill": """SELECT dossier_code, count(*) FROM payment.bills WHERE kind = 'fee' GROUP BY 1""",
}

# (wall clock - monotonic clock) of this process, to place database timestamps on the
# monotonic clock the submissions are timed with.
WALL_OFFSET = time.time() - time.monotonic()


def to_monotonic(timestamp):
    return timestamp.timestamp() - WALL_OFFSET


class StageCollector(threading.Thread):
    """Polls the database for the stages of every accepted dossier until stopped.
    `expected(stage)` returns the codes that should reach that stage (so far)."""

    def __init__(self, db_url, stages, expected):
        super().__init__(daemon=True, name="stage-collector")
        self.db_url = db_url
        self.stages = stages
        self.expected = expected
        self.seen = {stage: {} for stage in stages}  # stage -> code -> monotonic time
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.errors = []
        self.queries = 0

    def run(self):
        conn = psycopg2.connect(self.db_url)
        conn.autocommit = True
        try:
            while not self.stopping.wait(POLL_SECONDS):
                self.poll(conn)
            self.poll(conn)  # once more: what arrived in the last second
        except psycopg2.Error as exc:
            self.errors.append(repr(exc))
        finally:
            conn.close()

    def poll(self, conn):
        with conn.cursor() as cur:
            for stage in self.stages:
                with self.lock:
                    pending = list(self.expected(stage) - self.seen[stage].keys())
                if not pending:
                    continue
                cur.execute(STAGE_QUERIES[stage], (pending,))
                self.queries += 1
                found = {code: to_monotonic(at) for code, at in cur.fetchall()}
                with self.lock:
                    self.seen[stage].update(found)

    def missing(self, stage):
        with self.lock:
            return self.expected(stage) - self.seen[stage].keys()

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)


def audit_counts(db_url, checks):
    """{check: {code: times found}} for the given AUDIT_QUERIES."""
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            found = {}
            for name in checks:
                cur.execute(AUDIT_QUERIES[name])
                found[name] = dict(cur.fetchall())
            return found
    finally:
        conn.close()


def audit(expected_by_check, found_by_check):
    """{check: {"expected", "lost", "duplicated", "unexpected", samples}}: lost = expected
    but not found, duplicated = found more than once, unexpected = found but not expected
    (e.g. a bill for a dossier without a fee)."""
    result = {}
    for name, expected in expected_by_check.items():
        found = found_by_check.get(name, {})
        lost = sorted(code for code in expected if not found.get(code))
        duplicated = sorted(code for code, n in found.items() if n > 1)
        unexpected = sorted(code for code in found if code not in expected)
        result[name] = {"expected": len(expected), "lost": len(lost),
                        "duplicated": len(duplicated), "unexpected": len(unexpected),
                        "lost_codes": lost[:10], "duplicated_codes": duplicated[:10],
                        "unexpected_codes": unexpected[:10]}
    return result
