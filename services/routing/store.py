"""routing's SQL: dossiers, their history, and the records of the department's actions."""
import uuid

import psycopg2.extras

from services.common.db import PreparedStatement, json_param

SCHEMA = "routing"


DOSSIER_INSERT = PreparedStatement("routing_dossier_insert", """
    INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
        cooperating, channel, status, received_at, due_date, legal_due_date,
        result_delivery, lookup_proof, phone_hash, procedure, recipient_name,
        recipient_phone, delivery_address, sector_code, sector_name, applicant_name,
        applicant_phone, search_text)
    VALUES (%(code)s, %(procedure_code)s, %(procedure_name)s, %(department)s,
        %(cooperating)s, %(channel)s, %(status)s, %(received_at)s, %(due_date)s,
        %(due_date)s, %(result_delivery)s, %(lookup_proof)s, %(phone_hash)s,
        %(procedure)s, %(recipient_name)s, %(recipient_phone)s, %(delivery_address)s,
        %(sector_code)s, %(sector_name)s, %(applicant_name)s, %(applicant_phone)s,
        %(search_text)s)""")

HISTORY_INSERT = PreparedStatement("routing_history_insert", """
    INSERT INTO routing.history (dossier_code, status, actor, note, at, action,
        from_status, actor_role, department)
    VALUES (%(code)s, %(status)s, %(actor)s, %(note)s, coalesce(%(at)s::timestamptz, now()),
        %(action)s, %(from_status)s, %(actor_role)s, %(department)s)""")


def insert_dossier(cur, dossier):
    DOSSIER_INSERT.execute(cur, {**dossier, "procedure": json_param(dossier["procedure"])})


def add_history(cur, code, status, actor, note=None, at=None, action=None, from_status=None,
                actor_role=None, department=None):
    HISTORY_INSERT.execute(cur, {
        "code": code, "status": status, "actor": actor, "note": note, "at": at,
        "action": action, "from_status": from_status, "actor_role": actor_role,
        "department": department})


def get_dossier(cur, code, lock=False):
    cur.execute("SELECT * FROM routing.dossiers WHERE code = %s"
                + (" FOR UPDATE" if lock else ""), (code,))
    return cur.fetchone()


def last_history_of(cur, code, action):
    """The latest line of history of `action` on the dossier (who, when, why), or None."""
    cur.execute("""SELECT at, note, actor, actor_role, department FROM routing.history
                   WHERE dossier_code = %s AND action = %s ORDER BY id DESC LIMIT 1""",
                (code, action))
    return cur.fetchone()


def get_history(cur, code):
    cur.execute(
        """SELECT at, status, actor, note, action, from_status, actor_role, department
           FROM routing.history WHERE dossier_code = %s ORDER BY id""",
        (code,),
    )
    return cur.fetchall()


def set_status(cur, code, status, at):
    stamp = {"result_ready": "resolved_at", "refused": "refused_at",
             "withdrawn": "withdrawn_at", "returned": "returned_at",
             "closed": "closed_at"}.get(status)
    extra = f", {stamp} = %(at)s" if stamp else ""
    cur.execute(f"UPDATE routing.dossiers SET status = %(status)s, updated_at = now(){extra}"
                " WHERE code = %(code)s", {"status": status, "at": at, "code": code})


def update_dossier(cur, code, **columns):
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    cur.execute(f"UPDATE routing.dossiers SET {assignments}, updated_at = now()"
                " WHERE code = %(code)s", {**columns, "code": code})


# results handed over at the counter (the hand-over slip) --------------------------------------
def add_result_handover(cur, handover):
    cur.execute(
        """INSERT INTO routing.result_handovers (dossier_code, handed_at, handed_by,
               receiver_name, relation, id_type, id_number)
           VALUES (%(dossier_code)s, %(handed_at)s, %(handed_by)s, %(receiver_name)s,
               %(relation)s, %(id_type)s, %(id_number)s)""", handover)


def result_handover_of(cur, code):
    cur.execute("SELECT * FROM routing.result_handovers WHERE dossier_code = %s", (code,))
    return cur.fetchone()


# supplements ---------------------------------------------------------------------------------
def add_supplement(cur, code, documents, reason, at, actor, complete_by):
    cur.execute(
        """INSERT INTO routing.supplements (dossier_code, documents, reason, requested_at,
               requested_by, complete_by) VALUES (%s, %s, %s, %s, %s, %s)""",
        (code, json_param(documents), reason, at, actor, complete_by),
    )


def count_supplements(cur, code):
    cur.execute("SELECT count(*) AS n FROM routing.supplements WHERE dossier_code = %s", (code,))
    return cur.fetchone()["n"]


def open_supplement(cur, code):
    cur.execute("""SELECT * FROM routing.supplements WHERE dossier_code = %s
                   AND resubmitted_at IS NULL ORDER BY id DESC LIMIT 1""", (code,))
    return cur.fetchone()


def period_started_at(cur, code):
    """When the dossier's period started: the complete dossier's arrival after a supplement,
    else its reception."""
    cur.execute("""SELECT coalesce(max(s.resubmitted_at), d.received_at) AS at
                   FROM routing.dossiers d
                   LEFT JOIN routing.supplements s ON s.dossier_code = d.code
                   WHERE d.code = %s GROUP BY d.received_at""", (code,))
    return cur.fetchone()["at"]


def latest_supplement(cur, code):
    cur.execute("""SELECT * FROM routing.supplements WHERE dossier_code = %s
                   ORDER BY id DESC LIMIT 1""", (code,))
    return cur.fetchone()


def close_supplement(cur, supplement_id, at, actor):
    cur.execute("UPDATE routing.supplements SET resubmitted_at = %s, resubmitted_by = %s"
                " WHERE id = %s", (at, actor, supplement_id))


def dossiers_to_close(cur, today):
    """Dossiers (locked, with their supplement's notice and last day) whose supplement was
    not handed in by its last day, before `today`; rows another routing instance holds are
    skipped, so each is closed once."""
    cur.execute(
        """SELECT d.*, s.requested_at AS supplement_requested_at, s.complete_by
           FROM routing.dossiers d JOIN routing.supplements s ON s.dossier_code = d.code
           WHERE d.status = 'supplement_requested' AND s.resubmitted_at IS NULL
             AND s.complete_by < %s
           ORDER BY s.complete_by LIMIT %s FOR UPDATE OF d SKIP LOCKED""",
        (today, FLAG_BATCH))
    return cur.fetchall()


# consultations -------------------------------------------------------------------------------
def add_consultation(cur, code, department, question, reply_due_date, at, actor):
    cur.execute(
        """INSERT INTO routing.consultations (dossier_code, department, question,
               reply_due_date, requested_at, requested_by) VALUES (%s, %s, %s, %s, %s, %s)
           RETURNING id""",
        (code, department, question, reply_due_date, at, actor),
    )
    return cur.fetchone()["id"]


def consultations(cur, code):
    cur.execute("SELECT * FROM routing.consultations WHERE dossier_code = %s ORDER BY id",
                (code,))
    return cur.fetchall()


def answer_consultation(cur, code, department, opinion, agrees, at, actor):
    """Records the open request's answer; None if the department has no open request."""
    cur.execute(
        """UPDATE routing.consultations SET replied_at = %s, replied_by = %s, opinion = %s,
               agrees = %s
           WHERE id = (SELECT id FROM routing.consultations WHERE dossier_code = %s
                       AND department = %s AND replied_at IS NULL ORDER BY id LIMIT 1)
           RETURNING id, department, reply_due_date, replied_at, late_at""",
        (at, actor, opinion, agrees, code, department),
    )
    return cur.fetchone()


def flag_consultation_late(cur, consultation_id, at):
    cur.execute("UPDATE routing.consultations SET late_at = %s WHERE id = %s",
                (at, consultation_id))


def flag_unanswered_consultations(cur, now, today):
    """Sets late_at on at most FLAG_BATCH unanswered consultations of consulting dossiers
    whose reply date is before `today`, once each (as flag_due), and returns them with their
    dossier's lead department."""
    cur.execute(
        """UPDATE routing.consultations c SET late_at = %(now)s FROM routing.dossiers d
           WHERE c.id IN (SELECT c2.id FROM routing.consultations c2
                          JOIN routing.dossiers d2 ON d2.code = c2.dossier_code
                          WHERE c2.replied_at IS NULL AND c2.late_at IS NULL
                            AND c2.reply_due_date < %(today)s AND d2.status = 'consulting'
                          ORDER BY c2.reply_due_date LIMIT %(batch)s
                          FOR UPDATE OF c2 SKIP LOCKED)
             AND c.late_at IS NULL AND d.code = c.dossier_code
           RETURNING c.id, c.dossier_code, c.department, c.reply_due_date, c.replied_at,
                     d.department AS lead_department, d.status""",
        {"now": now, "today": today, "batch": FLAG_BATCH})
    return cur.fetchall()


def open_consultations(cur, code):
    cur.execute("""SELECT count(*) AS n FROM routing.consultations WHERE dossier_code = %s
                   AND replied_at IS NULL""", (code,))
    return cur.fetchone()["n"]


# extensions (Mẫu 04) ----------------------------------------------------------------------
def next_letter_number(cur, department, year):
    """`<n>/XL-<DEPARTMENT>` numbered per department and year; the lock on the dossier row
    does not cover other dossiers, so take an advisory lock on the department's sequence."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"extension:{department}:{year}",))
    cur.execute("""SELECT count(*) AS n FROM routing.extensions WHERE department = %s
                   AND extract(year FROM issued_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = %s""",
                (department, year))
    return f"{cur.fetchone()['n'] + 1}/XL-{department.upper()}"


def add_extension(cur, letter):
    cur.execute(
        """INSERT INTO routing.extensions (letter_number, dossier_code, department, reason,
               previous_due_date, new_due_date, issued_at, issued_by)
           VALUES (%(letter_number)s, %(code)s, %(department)s, %(reason)s,
               %(previous_due_date)s, %(new_due_date)s, %(issued_at)s, %(issued_by)s)""",
        letter,
    )


def extension_of(cur, code):
    """The dossier's extension (the latest, for dossiers extended more than once before the
    law allowed one only), or None."""
    cur.execute("""SELECT * FROM routing.extensions WHERE dossier_code = %s
                   ORDER BY issued_at DESC LIMIT 1""", (code,))
    return cur.fetchone()


# evaluations (evaluations.py) and the officers' feedback (staff_feedback.py) ------------------
def add_evaluation(cur, evaluation):
    """False if the dossier was evaluated already."""
    cur.execute(
        """INSERT INTO routing.evaluations (dossier_code, department, answers, comment,
               officers, evaluated_at)
           VALUES (%(code)s, %(department)s, %(answers)s, %(comment)s, %(officers)s,
               %(evaluated_at)s)
           ON CONFLICT (dossier_code) DO NOTHING""",
        {**evaluation, "answers": json_param(evaluation["answers"])},
    )
    return cur.rowcount == 1


def is_evaluated(cur, code):
    cur.execute("SELECT 1 FROM routing.evaluations WHERE dossier_code = %s", (code,))
    return cur.fetchone() is not None


def add_counter_evaluation(cur, evaluation):
    cur.execute(
        """INSERT INTO routing.counter_evaluations (officer, department, level, comment,
               dossier_code, evaluated_at)
           VALUES (%(officer)s, %(department)s, %(level)s, %(comment)s, %(dossier_code)s,
               %(evaluated_at)s)""",
        evaluation,
    )


def evaluations_in(cur, start, after_end, department=None):
    """The dossiers' evaluations given in [start, after_end), of `department`'s dossiers."""
    cur.execute(
        """SELECT department, answers, officers, evaluated_at FROM routing.evaluations
           WHERE evaluated_at >= %(start)s AND evaluated_at < %(after_end)s
             AND (%(department)s::text IS NULL OR department = %(department)s)""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


def counter_evaluations_in(cur, start, after_end, department=None):
    """The counter visits evaluated in [start, after_end), at `department`'s counters."""
    cur.execute(
        """SELECT officer, department, level, evaluated_at FROM routing.counter_evaluations
           WHERE evaluated_at >= %(start)s AND evaluated_at < %(after_end)s
             AND (%(department)s::text IS NULL OR department = %(department)s)""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


def add_staff_feedback(cur, month, answers, suggestion):
    """Keeps only what is given (the answers, the suggestion, the month they count in), and
    writes the month's answers again under new random keys, in their order, in this one
    transaction: neither a row's place in the table nor the transaction that wrote it tells
    when it came."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"staff_feedback:{month}",))
    cur.execute("DELETE FROM routing.staff_feedback WHERE month = %s"
                " RETURNING answers, suggestion", (month,))
    given = [*cur.fetchall(), {"answers": answers, "suggestion": suggestion}]
    rows = sorted((str(uuid.uuid4()), month, json_param(row["answers"]), row["suggestion"])
                  for row in given)
    psycopg2.extras.execute_values(
        cur, "INSERT INTO routing.staff_feedback (id, month, answers, suggestion) VALUES %s",
        rows, page_size=len(rows))


def staff_feedback_of(cur, month):
    cur.execute("SELECT answers, suggestion FROM routing.staff_feedback WHERE month = %s",
                (month,))
    return cur.fetchall()


def officers_of(cur, code):
    """The officers who acted on the dossier (counter and departments, leaders too), in order
    of first act."""
    cur.execute(
        """SELECT actor FROM routing.history WHERE dossier_code = %s
           AND actor_role IN ('lead_officer', 'leader', 'cooperating_officer',
                              'counter_officer')
           GROUP BY actor ORDER BY min(id)""",
        (code,),
    )
    return [row["actor"] for row in cur.fetchall()]


# the deadline watch ------------------------------------------------------------------------
DUE_CONDITIONS = {"overdue_at": "due_date < %(today)s",
                  "due_soon_at": "due_date BETWEEN %(today)s AND %(horizon)s"}
FLAG_BATCH = 500


def flag_due(cur, flag, now, statuses, today, horizon=None):
    """Sets `flag` (overdue_at: due before `today`; due_soon_at: due from `today` to
    `horizon`) to `now` on at most FLAG_BATCH dossiers in `statuses` that do not have it yet,
    and returns them. One UPDATE ... WHERE <flag> IS NULL ... RETURNING over rows taken with
    FOR UPDATE SKIP LOCKED, so two routing instances ticking together never flag one dossier
    twice."""
    cur.execute(
        f"""UPDATE routing.dossiers SET {flag} = %(now)s
            WHERE code IN (SELECT code FROM routing.dossiers
                           WHERE {flag} IS NULL AND status = ANY(%(watched)s)
                             AND {DUE_CONDITIONS[flag]}
                           ORDER BY due_date LIMIT %(batch)s FOR UPDATE SKIP LOCKED)
              AND {flag} IS NULL
            RETURNING code, department, status, due_date, legal_due_date, procedure_code,
                      procedure_name""",
        {"now": now, "today": today, "horizon": horizon, "watched": list(statuses),
         "batch": FLAG_BATCH},
    )
    return cur.fetchall()


# metrics -------------------------------------------------------------------------------------
def count_by_status(cur):
    cur.execute("SELECT status, department, count(*) AS n FROM routing.dossiers"
                " GROUP BY status, department")
    return cur.fetchall()


def count_overdue(cur):
    """Open dossiers flagged overdue, per department."""
    cur.execute("""SELECT department, count(*) AS n FROM routing.dossiers
                   WHERE overdue_at IS NOT NULL AND resolved_at IS NULL
                     AND status NOT IN ('refused', 'withdrawn', 'closed')
                   GROUP BY department""")
    return cur.fetchall()


def count_late_consultations(cur):
    """Unanswered consultations past their reply date, per consulted department."""
    cur.execute("""SELECT c.department, count(*) AS n FROM routing.consultations c
                   JOIN routing.dossiers d ON d.code = c.dossier_code
                   WHERE c.replied_at IS NULL AND c.late_at IS NOT NULL
                     AND d.status = 'consulting' GROUP BY c.department""")
    return cur.fetchall()


# reports -------------------------------------------------------------------------------------
def dossiers_open_in(cur, start, after_end, department=None):
    """Every dossier open at some time in [start, after_end) or returned in it."""
    cur.execute(
        """SELECT code, department, channel, received_at, legal_due_date,
                  awaiting_supplement_since, overdue_at, resolved_at, returned_at, refused_at,
                  withdrawn_at, closed_at,
                  coalesce((SELECT max(s.resubmitted_at) FROM routing.supplements s
                            WHERE s.dossier_code = d.code), received_at) AS period_started_at
           FROM routing.dossiers d
           WHERE received_at < %(after_end)s
             AND coalesce(least(resolved_at, refused_at, withdrawn_at, closed_at),
                          'infinity') >= %(start)s
             AND (%(department)s::text IS NULL OR department = %(department)s)
              OR (returned_at >= %(start)s AND returned_at < %(after_end)s
                  AND (%(department)s::text IS NULL OR department = %(department)s))""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


def bieu06_dossiers(cur, start, after_end, department=None):
    """Every dossier received before `after_end` and still unresolved at `start` (not
    resolved, refused, withdrawn or closed before it), with its agency, lĩnh vực, and its
    latest supplement's notice and completion."""
    cur.execute(
        """SELECT d.department, d.sector_code, d.sector_name, d.channel, d.received_at,
                  d.legal_due_date, d.resolved_at, d.refused_at, d.withdrawn_at, d.closed_at,
                  s.requested_at AS supplement_requested_at,
                  s.resubmitted_at AS supplement_resubmitted_at
           FROM routing.dossiers d
           LEFT JOIN LATERAL (SELECT requested_at, resubmitted_at FROM routing.supplements
                              WHERE dossier_code = d.code ORDER BY id DESC LIMIT 1) s ON true
           WHERE d.received_at < %(after_end)s
             AND coalesce(least(d.resolved_at, d.refused_at, d.withdrawn_at, d.closed_at),
                          'infinity') >= %(start)s
             AND (%(department)s::text IS NULL OR d.department = %(department)s)""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


def late_consultations(cur, start, after_end, department=None):
    """(consulted department, n) of the consultations flagged late in [start, after_end),
    of dossiers led by `department` (all without one)."""
    cur.execute(
        """SELECT c.department, count(*) AS n
           FROM routing.consultations c JOIN routing.dossiers d ON d.code = c.dossier_code
           WHERE c.late_at >= %(start)s AND c.late_at < %(after_end)s
             AND (%(department)s::text IS NULL OR d.department = %(department)s)
           GROUP BY c.department ORDER BY c.department""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


def received_by_department_and_channel(cur, start, after_end):
    cur.execute(
        """SELECT department, channel, count(*) AS n FROM routing.dossiers
           WHERE received_at >= %s AND received_at < %s GROUP BY department, channel""",
        (start, after_end))
    return cur.fetchall()


def history_of_received(cur, start, after_end, department=None):
    """The history of the dossiers received in [start, after_end), dossier by dossier, in
    order, with their procedure."""
    cur.execute(
        """SELECT d.procedure_code, d.procedure_name, h.dossier_code, h.status, h.at
           FROM routing.history h JOIN routing.dossiers d ON d.code = h.dossier_code
           WHERE d.received_at >= %(start)s AND d.received_at < %(after_end)s
             AND (%(department)s::text IS NULL OR d.department = %(department)s)
           ORDER BY h.dossier_code, h.id""",
        {"start": start, "after_end": after_end, "department": department})
    return cur.fetchall()


# inside the lead agency -----------------------------------------------------------------------
def add_proposal(cur, code, result_reference, note, at, officer):
    cur.execute(
        """INSERT INTO routing.proposals (dossier_code, result_reference, note, proposed_at,
               proposed_by) VALUES (%s, %s, %s, %s, %s)""",
        (code, result_reference, note, at, officer),
    )


def open_proposal(cur, code):
    cur.execute("""SELECT * FROM routing.proposals WHERE dossier_code = %s AND decision IS NULL
                   ORDER BY id DESC LIMIT 1""", (code,))
    return cur.fetchone()


def decide_proposal(cur, proposal_id, decision, at, leader, reason):
    cur.execute(
        """UPDATE routing.proposals SET decision = %s, decided_at = %s, decided_by = %s,
               reason = %s WHERE id = %s""",
        (decision, at, leader, reason, proposal_id),
    )


def add_handover(cur, handover):
    cur.execute(
        """INSERT INTO routing.handovers (dossier_code, at, step, giver, giver_role, giver_unit,
               taker, taker_role, taker_unit, reason, due_date, timing)
           VALUES (%(code)s, %(at)s, %(step)s, %(giver)s, %(giver_role)s, %(giver_unit)s,
               %(taker)s, %(taker_role)s, %(taker_unit)s, %(reason)s, %(due_date)s,
               %(timing)s)""",
        handover,
    )


def handovers(cur, code):
    cur.execute("SELECT * FROM routing.handovers WHERE dossier_code = %s ORDER BY id", (code,))
    return cur.fetchall()


# An open dossier of the department with its latest proposal (p.*: null when none).
WORKLIST = """
    SELECT d.code, d.procedure_code, d.procedure_name, d.status, d.processing_unit, d.officer,
           d.officer_due_date, d.received_at, d.due_date, d.awaiting_supplement_since, d.overdue_at,
           p.result_reference, p.note, p.proposed_at, p.proposed_by, p.decision,
           p.decided_at, p.decided_by, p.reason
    FROM routing.dossiers d
    LEFT JOIN LATERAL (SELECT * FROM routing.proposals WHERE dossier_code = d.code
                       ORDER BY id DESC LIMIT 1) p ON true
    WHERE d.department = %(department)s AND d.status = ANY(%(open)s) AND {held}
    ORDER BY d.due_date, d.code LIMIT %(limit)s"""


def officer_worklist(cur, department, officer, open_statuses, limit):
    """The open dossiers `officer` holds."""
    cur.execute(WORKLIST.format(held="d.officer = %(officer)s"),
                {"department": department, "officer": officer, "open": list(open_statuses),
                 "limit": limit})
    return cur.fetchall()


def leader_worklist(cur, department, open_statuses, limit):
    """The open dossiers waiting for a leader: a proposal to decide, or nobody holding them."""
    cur.execute(WORKLIST.format(held="(d.status = 'awaiting_approval' OR d.officer IS NULL)"),
                {"department": department, "open": list(open_statuses), "limit": limit})
    return cur.fetchall()


INBOX = """
    SELECT code, procedure_code, procedure_name, status, officer, received_at, due_date,
           applicant_name
      FROM routing.dossiers
     WHERE status = ANY(%(statuses)s)
       AND (%(department)s::text IS NULL OR department = %(department)s)
       AND (%(due_before)s::date IS NULL OR due_date <= %(due_before)s)
       AND (%(due_soon)s::date IS NULL OR (due_date <= %(due_soon)s AND overdue_at IS NULL))
       AND (%(overdue)s::date IS NULL OR overdue_at IS NOT NULL OR due_date < %(overdue)s)
       AND (%(officer)s::text IS NULL OR officer = %(officer)s)
       AND (%(search)s::text IS NULL OR search_text LIKE %(search)s)
     ORDER BY due_date, code
     LIMIT %(limit)s OFFSET %(offset)s"""


def inbox(cur, filters):
    """A page of the inbox (one more row than asked: whether another page follows)."""
    cur.execute(INBOX, filters)
    return cur.fetchall()
