"""routing's SQL: dossiers, their history."""
SCHEMA = "routing"


def insert_dossier(cur, dossier):
    cur.execute(
        """INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
               cooperating, channel, status, received_at, due_date, result_delivery,
               lookup_secret_hash, phone_hash)
           VALUES (%(code)s, %(procedure_code)s, %(procedure_name)s, %(department)s,
               %(cooperating)s, %(channel)s, %(status)s, %(received_at)s, %(due_date)s,
               %(result_delivery)s, %(lookup_secret_hash)s, %(phone_hash)s)""",
        dossier,
    )


def add_history(cur, code, status, actor, note=None, at=None):
    cur.execute(
        """INSERT INTO routing.history (dossier_code, status, actor, note, at)
           VALUES (%s, %s, %s, %s, coalesce(%s, now()))""",
        (code, status, actor, note, at),
    )


def get_dossier(cur, code):
    cur.execute("SELECT * FROM routing.dossiers WHERE code = %s", (code,))
    return cur.fetchone()


def get_history(cur, code):
    cur.execute(
        "SELECT at, status, actor, note FROM routing.history WHERE dossier_code = %s ORDER BY id",
        (code,),
    )
    return cur.fetchall()
