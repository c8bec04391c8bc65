"""intake's SQL: catalogue, dossier numbering, dossiers, idempotency keys."""
from services.common.db import json_param

SCHEMA = "intake"


class SequenceExhausted(Exception):
    pass


def save_catalogue(cur, catalogue):
    """Replace the catalogue in one transaction; procedures no longer listed become inactive."""
    center = catalogue["center"]
    cur.execute(
        """INSERT INTO intake.receiving_units (code, name, kind) VALUES (%s, %s, 'center')
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name""",
        (center["receiving_unit"], center["name"]),
    )
    for dept in catalogue["departments"].values():
        cur.execute(
            """INSERT INTO intake.departments (code, name, receiving_unit) VALUES (%s, %s, %s)
               ON CONFLICT (code) DO UPDATE
               SET name = EXCLUDED.name, receiving_unit = EXCLUDED.receiving_unit""",
            (dept["code"], dept["name"], dept["receiving_unit"]),
        )
    for proc in catalogue["procedures"].values():
        cur.execute(
            """INSERT INTO intake.procedures (code, department, data) VALUES (%s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET department = EXCLUDED.department,
               data = EXCLUDED.data, active = true, updated_at = now()""",
            (proc["code"], proc["department"], json_param(proc)),
        )
    cur.execute(
        "UPDATE intake.procedures SET active = false WHERE NOT (code = ANY(%s))",
        (list(catalogue["procedures"]),),
    )


def list_procedures(cur, department=None, channel=None):
    cur.execute(
        """SELECT data FROM intake.procedures
           WHERE active AND (%(dept)s::text IS NULL OR department = %(dept)s)
             AND (%(channel)s::text IS NULL OR data->'channels' ? %(channel)s)
           ORDER BY department, code""",
        {"dept": department, "channel": channel},
    )
    return [row["data"] for row in cur.fetchall()]


def get_procedure(cur, code):
    cur.execute("SELECT data FROM intake.procedures WHERE code = %s AND active", (code,))
    row = cur.fetchone()
    return row["data"] if row else None


def get_procedure_and_units(cur, code):
    """The active procedure, its department's counter unit and the center's unit, in one
    round trip: (procedure, counter unit, center unit), each None when missing."""
    cur.execute(
        """SELECT p.data, d.receiving_unit AS code, d.name, c.code AS center_code,
                  c.name AS center_name
           FROM intake.procedures p
           JOIN intake.departments d ON d.code = p.department
           LEFT JOIN LATERAL (SELECT code, name FROM intake.receiving_units WHERE kind = 'center'
                              ORDER BY code LIMIT 1) c ON true
           WHERE p.code = %s AND p.active""",
        (code,),
    )
    row = cur.fetchone()
    if row is None:
        return None, None, None
    center = {"code": row["center_code"], "name": row["center_name"]} if row["center_code"] else None
    return row["data"], {"code": row["code"], "name": row["name"]}, center


def list_departments(cur):
    cur.execute("SELECT code, name, receiving_unit FROM intake.departments ORDER BY code")
    return cur.fetchall()


def next_number(cur, receiving_unit, day):
    """The next XXXX for this unit and day. The row stays locked until commit, so two
    concurrent receptions never get one number, and a rolled-back one leaves no gap."""
    cur.execute(
        """INSERT INTO intake.daily_sequences (receiving_unit, day, last_number)
           VALUES (%s, %s, 1)
           ON CONFLICT (receiving_unit, day)
           DO UPDATE SET last_number = intake.daily_sequences.last_number + 1
           RETURNING last_number""",
        (receiving_unit, day),
    )
    number = cur.fetchone()["last_number"]
    if number > 9999:
        raise SequenceExhausted(f"receiving unit {receiving_unit} has used all 9999 numbers of {day}")
    return number


def claim_idempotency_key(cur, principal, key, request_hash, dossier_code):
    """Record the key for this dossier; returns the earlier (hash, code) if the key was used."""
    cur.execute(
        """INSERT INTO intake.idempotency_keys (principal, key, request_hash, dossier_code)
           VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (principal, key, request_hash, dossier_code),
    )
    if cur.rowcount == 1:
        return None
    cur.execute(
        "SELECT request_hash, dossier_code FROM intake.idempotency_keys"
        " WHERE principal = %s AND key = %s",
        (principal, key),
    )
    return cur.fetchone()


def insert_dossier(cur, dossier):
    cur.execute(
        """INSERT INTO intake.dossiers (code, procedure_code, department, channel, receiving_unit,
               received_at, due_date, applicant, documents, result_delivery, delivery_address,
               lookup_secret, receiver, receipt)
           VALUES (%(code)s, %(procedure_code)s, %(department)s, %(channel)s, %(receiving_unit)s,
               %(received_at)s, %(due_date)s, %(applicant)s, %(documents)s, %(result_delivery)s,
               %(delivery_address)s, %(lookup_secret)s, %(receiver)s, %(receipt)s)""",
        {
            **dossier,
            "applicant": json_param(dossier["applicant"]),
            "documents": json_param(dossier["documents"]),
            "receiver": json_param(dossier["receiver"]),
            "receipt": json_param(dossier["receipt"]),
        },
    )


def get_dossier(cur, code):
    cur.execute(
        """SELECT code, department, channel, received_at, due_date, lookup_secret
           FROM intake.dossiers WHERE code = %s""",
        (code,),
    )
    return cur.fetchone()


def get_receipt(cur, code):
    cur.execute("SELECT department, receipt FROM intake.dossiers WHERE code = %s", (code,))
    return cur.fetchone()
