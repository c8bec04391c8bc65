"""intake's SQL: catalogue, dossier numbering, dossiers, online submissions, the calendar's
overrides."""
import psycopg2.errors
import psycopg2.extras

from services.common.db import PreparedStatement, json_param
from services.common.events import events_exchange

from .errors import NumbersExhausted

SCHEMA = "intake"
CATALOGUE_CHANNEL = "intake_catalogue"  # NOTIFYed by every catalogue load (catalogue_cache.py)


def save_catalogue(cur, catalogue):
    """Replace the catalogue in one transaction; procedures no longer listed become inactive.
    Every intake instance is told, at the commit, to forget the procedures it kept."""
    cur.execute("DELETE FROM intake.centers")
    for center in catalogue["centers"].values():
        cur.execute(
            """INSERT INTO intake.centers (code, name, level, identifier, counters)
               VALUES (%s, %s, %s, %s, %s)""",
            (center["code"], center["name"], center["level"], center["identifier"],
             json_param(center["counters"])),
        )
    for dept in catalogue["departments"].values():
        cur.execute(
            """INSERT INTO intake.departments (code, name, kind, identifier)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
                   identifier = EXCLUDED.identifier""",
            (dept["code"], dept["name"], dept["kind"], dept["identifier"]),
        )
    for proc in catalogue["procedures"].values():
        cur.execute(
            """INSERT INTO intake.procedures (code, department, data) VALUES (%s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET department = EXCLUDED.department,
               data = EXCLUDED.data, active = true, updated_at = now()""",
            (proc["code"], proc.get("department"), json_param(proc)),
        )
    cur.execute(
        "UPDATE intake.procedures SET active = false WHERE NOT (code = ANY(%s))",
        (list(catalogue["procedures"]),),
    )
    cur.execute(f"NOTIFY {CATALOGUE_CHANNEL}")  # delivered at the commit


def list_procedures(cur, department=None, channel=None):
    cur.execute(
        """SELECT data FROM intake.procedures
           WHERE active AND (%(dept)s::text IS NULL OR department = %(dept)s
                             OR data->'competent_agencies' ? %(dept)s)
             AND (%(channel)s::text IS NULL OR data->'channels' ? %(channel)s)
           ORDER BY department NULLS LAST, code""",
        {"dept": department, "channel": channel},
    )
    return [row["data"] for row in cur.fetchall()]


def get_procedure(cur, code):
    cur.execute("SELECT data FROM intake.procedures WHERE code = %s AND active", (code,))
    row = cur.fetchone()
    return row["data"] if row else None


def get_agency(cur, code):
    """{code, name, kind, identifier} of an agency of the catalogue, or None."""
    cur.execute("SELECT code, name, kind, identifier FROM intake.departments WHERE code = %s",
                (code,))
    return cur.fetchone()


def get_center(cur, code=None):
    """{code, name, level, identifier, counters} of a center, or, without a code, of the
    provincial one; None when there is none."""
    cur.execute(
        """SELECT code, name, level, identifier, counters FROM intake.centers
           WHERE code = %(code)s OR (%(code)s::text IS NULL AND level = 'province')
           ORDER BY code LIMIT 1""",
        {"code": code},
    )
    return cur.fetchone()


def list_departments(cur):
    cur.execute("SELECT code, name, kind, identifier FROM intake.departments ORDER BY code")
    return cur.fetchall()


def list_centers(cur):
    cur.execute("SELECT code, name, level, identifier, counters FROM intake.centers"
                " ORDER BY level DESC, code")
    return cur.fetchall()


NUMBER_LIMIT_CONSTRAINT = "daily_sequences_four_digits"
IDEMPOTENCY_KEY_CONSTRAINT = "idempotency_keys_pkey"


class KeyAlreadyUsed(Exception):
    """A request with this Idempotency-Key was stored before (or committed first)."""


SCAN_TAKEN_CONSTRAINT = "dossier_scans_taken"  # migration 0007's trigger


class ScanTaken(Exception):
    """A scan the dossier names is another dossier's (stored before, or committed first)."""

    def __init__(self, document_id, dossier_code):
        super().__init__(document_id, dossier_code)
        self.document_id = document_id
        self.dossier_code = dossier_code or None


NUMBERED_DOSSIER = PreparedStatement("intake_numbered_dossier", """
    WITH number AS (
        INSERT INTO intake.daily_sequences (identifier, day, last_number)
        VALUES (%(identifier)s, %(day)s, 1)
        ON CONFLICT (identifier, day)
        DO UPDATE SET last_number = intake.daily_sequences.last_number + 1
        RETURNING %(prefix)s::text || lpad(last_number::text, 4, '0') AS code
    ), entry AS (
        INSERT INTO intake.register_books AS book (receiving_unit, day, last_entry)
        SELECT %(receiving_unit)s::text, %(day)s::date, 1 FROM number
        ON CONFLICT (receiving_unit, day) DO UPDATE SET last_entry = book.last_entry + 1
        RETURNING last_entry
    ), dossier AS (
        INSERT INTO intake.dossiers (code, procedure_code, department, channel,
            receiving_unit, identifier, center, received_at, due_date, applicant, documents,
            result_delivery, delivery_address, lookup_secret, receiver, receipt,
            paper_handover_on, register_day, register_entry)
        SELECT code, %(procedure_code)s::text, %(department)s::text, %(channel)s::text,
            %(receiving_unit)s::text, %(identifier)s::text, %(center)s::text,
            %(received_at)s::timestamptz, %(due_date)s::date,
            %(applicant)s::jsonb, %(documents)s::jsonb, %(result_delivery)s::text,
            %(delivery_address)s::text, %(lookup_secret)s::text, %(receiver)s::jsonb,
            jsonb_set(%(receipt)s::jsonb, '{code}', to_jsonb(code)),
            %(paper_handover_on)s::date, %(day)s::date, last_entry
        FROM number, entry
    ), claim AS (
        INSERT INTO intake.idempotency_keys (principal, key, request_hash, status, response)
        SELECT %(principal)s::text, %(key)s::text, %(request_hash)s::text, 201,
            jsonb_build_object('code', code) FROM number
        WHERE %(key)s::text IS NOT NULL
    ), event AS (
        INSERT INTO intake.outbox (id, exchange, routing_key, body)
        SELECT %(event_id)s::uuid, %(exchange)s::text, %(routing_key)s::text,
            jsonb_set(jsonb_set(%(event)s::jsonb, '{dossier_code}', to_jsonb(code)),
                      '{data,code}', to_jsonb(code))
        FROM number
    )
    SELECT code FROM number""")


def insert_numbered_dossier(cur, dossier, event, claim=None):
    """Numbers the dossier and stores it, its receipt, its event and the Idempotency-Key it
    claims (services.common.idempotency.Claim, or None) in one statement; returns the code.

    One statement, so that the number's row is locked only while it runs: the number is the
    next XXXX of the identifier and day, two receptions never share one and a failed reception
    leaves no gap; and the key commits with the dossier it answers, or not at all. Its entry
    in the day's register of its receiving unit (Mẫu 07) is numbered the same way, the book's
    row locked after the sequence's. The code is written into the receipt and the event here,
    where it is known. Its scans are recorded as the dossier's by the same statement
    (intake.dossier_scans' trigger).
    NumbersExhausted after 9999; KeyAlreadyUsed when the key was claimed before; ScanTaken
    when a scan it names is another dossier's."""
    identifier = dossier["identifier"]
    received_at = dossier["received_at"]
    principal, key, request_hash = \
        (claim.principal, claim.key, claim.request_hash) if claim else (None, None, None)
    try:
        NUMBERED_DOSSIER.execute(
            cur,
            {
                **dossier,
                "day": received_at.date(),
                "prefix": code_prefix(identifier, received_at),
                "applicant": json_param(dossier["applicant"]),
                "documents": json_param(dossier["documents"]),
                "receiver": json_param(dossier["receiver"]),
                "receipt": json_param(dossier["receipt"]),
                "principal": principal, "key": key, "request_hash": request_hash,
                "event_id": event["id"], "exchange": events_exchange(SCHEMA),
                "routing_key": event["type"], "event": json_param(event),
            },
        )
    except psycopg2.errors.CheckViolation as exc:
        if exc.diag.constraint_name != NUMBER_LIMIT_CONSTRAINT:
            raise
        raise NumbersExhausted(
            f"Mã định danh {identifier} đã dùng hết 9999 số hồ sơ của ngày "
            f"{received_at.date():%d/%m/%Y}; hôm sau mới cấp số tiếp được.") from exc
    except psycopg2.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == SCAN_TAKEN_CONSTRAINT:
            raise ScanTaken(exc.diag.message_detail, exc.diag.message_hint) from exc
        if exc.diag.constraint_name != IDEMPOTENCY_KEY_CONSTRAINT:
            raise
        raise KeyAlreadyUsed() from exc
    return cur.fetchone()["code"]


def key_claimed(cur, claim):
    """Whether a request stored before claimed `claim`'s Idempotency-Key."""
    cur.execute("SELECT 1 FROM intake.idempotency_keys WHERE principal = %s AND key = %s",
                (claim.principal, claim.key))
    return cur.fetchone() is not None


def code_prefix(identifier, received_at):
    """`<identifier>-YYMMDD-` of a dossier code; the day is the day it was handed in."""
    return f"{identifier}-{received_at:%y%m%d}-"


def get_dossier(cur, code):
    cur.execute(
        """SELECT code, department, channel, received_at, due_date, lookup_secret,
                  paper_handover_on
           FROM intake.dossiers WHERE code = %s""",
        (code,),
    )
    return cur.fetchone()


def get_receipt(cur, code):
    """The stored receipt with its register entry and the agency's name in the catalogue."""
    cur.execute(
        """SELECT d.department, dep.name AS department_name, d.receipt, d.receiving_unit,
                  d.register_day, d.register_entry, d.paper_handover_on, d.receiver
           FROM intake.dossiers d LEFT JOIN intake.departments dep ON dep.code = d.department
           WHERE d.code = %s""",
        (code,),
    )
    return cur.fetchone()


# --- online submissions awaiting their formal reception ----------------------------------------
def insert_submission(cur, submission):
    cur.execute(
        """INSERT INTO intake.submissions (id, procedure_code, department, submitted_at,
               receive_by, request, submitted_by)
           VALUES (%(id)s, %(procedure_code)s, %(department)s, %(submitted_at)s,
               %(receive_by)s, %(request)s, %(submitted_by)s)""",
        {**submission, "request": json_param(submission["request"])},
    )


SUBMISSION = """SELECT s.id, s.procedure_code, p.data->>'name' AS procedure_name, s.department,
                       s.status, s.submitted_at, s.receive_by, s.request, s.submitted_by,
                       s.decided_at, s.decided_by, s.corrections, s.dossier_code,
                       s.reception_overdue_at
                FROM intake.submissions s JOIN intake.procedures p ON p.code = s.procedure_code"""


def get_submission(cur, submission_id, lock=False):
    cur.execute(f"{SUBMISSION} WHERE s.id = %s{' FOR UPDATE OF s' if lock else ''}",
                (submission_id,))
    return cur.fetchone()


def list_submissions(cur, status, department, limit):
    """Of one status (of one department when given), the nearest reception deadline first."""
    cur.execute(
        f"""{SUBMISSION} WHERE s.status = %(status)s
              AND (%(department)s::text IS NULL OR s.department = %(department)s)
            ORDER BY s.receive_by, s.id LIMIT %(limit)s""",
        {"status": status, "department": department, "limit": limit},
    )
    return cur.fetchall()


def mark_received(cur, submission_id, code, at, officer):
    cur.execute(
        """UPDATE intake.submissions SET status = 'received', dossier_code = %s,
               decided_at = %s, decided_by = %s WHERE id = %s""",
        (code, at, officer, submission_id),
    )


def mark_corrections_requested(cur, submission_id, corrections, at, officer):
    cur.execute(
        """UPDATE intake.submissions SET status = 'corrections_requested', corrections = %s,
               decided_at = %s, decided_by = %s WHERE id = %s""",
        (json_param(corrections), at, officer, submission_id),
    )


def flag_overdue_receptions(cur, now):
    """Submissions still awaiting reception at their deadline, flagged now, each only once
    (two instances flagging together: the second finds the row flagged once the first
    committed)."""
    cur.execute(
        """UPDATE intake.submissions SET reception_overdue_at = %(now)s
           WHERE status = 'awaiting_reception' AND receive_by <= %(now)s
             AND reception_overdue_at IS NULL
           RETURNING id, department, submitted_at, receive_by""",
        {"now": now},
    )
    return cur.fetchall()


# --- the calendar's overrides ----------------------------------------------------------------
def lock_calendar(cur):
    """The revision of the overrides announced last (0 before any), locked until the commit:
    one change at a time."""
    cur.execute("SELECT revision FROM intake.working_calendar FOR UPDATE")
    row = cur.fetchone()
    return row["revision"] if row else 0


def calendar_revision(cur):
    cur.execute("SELECT revision FROM intake.working_calendar")
    row = cur.fetchone()
    return row["revision"] if row else 0


def calendar_days(cur):
    cur.execute("""SELECT day, kind, note, changed_by, changed_at FROM intake.calendar_days
                   ORDER BY day""")
    return cur.fetchall()


def calendar_day(cur, day):
    cur.execute("SELECT kind FROM intake.calendar_days WHERE day = %s", (day,))
    return cur.fetchone()


def save_calendar_day(cur, day, kind, note, changed_by, at):
    cur.execute(
        """INSERT INTO intake.calendar_days (day, kind, note, changed_by, changed_at)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note,
               changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at""",
        (day, kind, note, changed_by, at),
    )


def delete_calendar_day(cur, day):
    cur.execute("DELETE FROM intake.calendar_days WHERE day = %s", (day,))
    return cur.rowcount == 1


def insert_calendar_days(cur, days, note, changed_by, at):
    """[(day, kind)] that no override has yet."""
    if not days:
        return
    psycopg2.extras.execute_values(
        cur, """INSERT INTO intake.calendar_days (day, kind, note, changed_by, changed_at)
                VALUES %s ON CONFLICT (day) DO NOTHING""",
        [(day, kind, note, changed_by, at) for day, kind in days])


# --- the slips given at the counter instead of a receipt (Mẫu 02, Mẫu 03) --------------------
def next_slip_number(cur, receiving_unit, kind, year):
    """The next number of the unit's slips of this kind in `year`, from 1: an advisory lock
    serialises the slips of one unit, kind and year until the commit."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"counter_slip:{receiving_unit}:{kind}:{year}",))
    cur.execute(
        """SELECT count(*) AS n FROM intake.counter_slips
           WHERE receiving_unit = %s AND kind = %s
             AND extract(year FROM issued_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = %s""",
        (receiving_unit, kind, year))
    return cur.fetchone()["n"] + 1


def insert_counter_slip(cur, slip):
    cur.execute(
        """INSERT INTO intake.counter_slips (id, kind, number, receiving_unit, department,
               procedure_code, issued_at, issued_by, slip)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (slip["id"], slip["kind"], slip["number"], slip["receiving_unit"]["code"],
         slip["agency"]["code"], slip["procedure"]["code"], slip["issued_at"],
         slip["issued_by"], json_param(slip)))


def get_counter_slip(cur, slip_id, kind):
    cur.execute("SELECT department, slip FROM intake.counter_slips WHERE id = %s AND kind = %s",
                (slip_id, kind))
    return cur.fetchone()


# --- the dossier register (Mẫu 07) -------------------------------------------------------------
REGISTER_LIMIT = 10000  # a unit numbers at most 9,999 dossiers a day


def register_entries(cur, day, unit=None, department=None):
    """The register's entries of `day`, book by book (receiving unit), in entry order: of
    one unit and one department when given."""
    cur.execute(
        """SELECT d.receiving_unit, d.receipt->'receiving_unit'->>'name' AS unit_name,
                  d.register_entry, d.code, d.procedure_code,
                  d.receipt->'procedure'->>'name' AS procedure_name, d.applicant,
                  d.department, dep.name AS department_name, d.channel, d.received_at,
                  d.due_date, d.paper_handover_on, d.result_delivery
           FROM intake.dossiers d LEFT JOIN intake.departments dep ON dep.code = d.department
           WHERE d.register_day = %(day)s
             AND (%(unit)s::text IS NULL OR d.receiving_unit = %(unit)s)
             AND (%(department)s::text IS NULL OR d.department = %(department)s)
           ORDER BY d.receiving_unit, d.register_entry LIMIT %(limit)s""",
        {"day": day, "unit": unit, "department": department, "limit": REGISTER_LIMIT})
    return cur.fetchall()
