"""The inbox's search for dossiers received before 0009: their applicant's name and phone, as
routing forwarded dossier.received to the lead department (its outbox keeps every message
it published), or else the result's postal recipient (the applicant, kept since 0002); both
folded as a dossier received today is (inbox.search_fields)."""
from psycopg2.extras import execute_values
from yoyo import step

from services.routing.inbox import search_fields

FORWARDED_APPLICANTS = """
    SELECT DISTINCT ON (d.code) d.code, o.body -> 'data' -> 'applicant' ->> 'full_name',
           o.body -> 'data' -> 'applicant' ->> 'phone'
      FROM routing.dossiers d
      JOIN routing.outbox o ON o.body ->> 'dossier_code' = d.code
     WHERE d.applicant_name IS NULL
       AND o.exchange = 'motcua.departments' AND o.body ->> 'type' = 'dossier.assigned'
     ORDER BY d.code, o.seq"""
POSTAL_RECIPIENTS = """
    SELECT code, recipient_name, recipient_phone FROM routing.dossiers
     WHERE applicant_name IS NULL AND recipient_name IS NOT NULL
       AND recipient_phone IS NOT NULL"""
FILL = """
    UPDATE routing.dossiers d
       SET applicant_name = v.name, applicant_phone = v.phone, search_text = v.search
      FROM (VALUES %s) AS v (code, name, phone, search)
     WHERE d.code = v.code AND d.applicant_name IS NULL"""


def fill(conn, found_by):
    cur = conn.cursor()
    cur.execute(found_by)
    rows = []
    for code, name, phone in cur.fetchall():
        if name and phone:
            found = search_fields(code, {"full_name": name, "phone": phone})
            rows.append((code, name, found["applicant_phone"], found["search_text"]))
    execute_values(cur, FILL, rows, page_size=1000)


def fill_search(conn):
    fill(conn, FORWARDED_APPLICANTS)
    fill(conn, POSTAL_RECIPIENTS)


steps = [step(fill_search)]
