"""docstore's SQL: every statement the service and its worker run."""
from psycopg2.extras import execute_values

from services.common.db import json_param

SCHEMA = "docstore"

DOCUMENT_COLUMNS = (
    "id", "kind", "status", "document_type", "title", "summary", "owner_id", "owner_name",
    "owner_birth_year", "issued_on", "issuer", "valid_from", "valid_until", "validity_scope",
    "dossier_code", "catalogue_key", "department", "center", "source", "reused_from",
    "digitised_by")


# blobs (the embedded storage) -----------------------------------------------------------------
def insert_blob(cur, key, size):
    """True when the blob is new (its chunks must follow)."""
    cur.execute("INSERT INTO docstore.blobs (sha256, size) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING RETURNING sha256", (key, size))
    return cur.fetchone() is not None


def insert_chunks(cur, key, chunks):
    execute_values(cur, "INSERT INTO docstore.blob_chunks (sha256, seq, data) VALUES %s",
                   [(key, seq, chunk) for seq, chunk in enumerate(chunks)])


def blob_chunks(cur, key):
    """The chunks of a blob in order, or None when there is no such blob."""
    cur.execute("SELECT 1 FROM docstore.blobs WHERE sha256 = %s", (key,))
    if cur.fetchone() is None:
        return None
    cur.execute("SELECT data FROM docstore.blob_chunks WHERE sha256 = %s ORDER BY seq", (key,))
    return [bytes(row["data"]) for row in cur.fetchall()]


# documents ------------------------------------------------------------------------------------
def insert_document(cur, document):
    columns = ", ".join(DOCUMENT_COLUMNS)
    values = ", ".join(f"%({name})s" for name in DOCUMENT_COLUMNS)
    cur.execute(f"INSERT INTO docstore.documents ({columns}) VALUES ({values}) RETURNING *",
                document)
    return cur.fetchone()


def documents_by_ids(cur, document_ids):
    cur.execute("SELECT * FROM docstore.documents WHERE id = ANY(%s::uuid[])",
                ([str(document_id) for document_id in document_ids],))
    return cur.fetchall()


def get_document(cur, document_id, lock=False):
    cur.execute("SELECT * FROM docstore.documents WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                (document_id,))
    return cur.fetchone()


def content_received(cur, document_id, key, media_type, size):
    cur.execute("""UPDATE docstore.documents SET status = 'processing', source_sha256 = %s,
                       source_media_type = %s, source_size = %s
                   WHERE id = %s RETURNING *""", (key, media_type, size, document_id))
    return cur.fetchone()


def quarantined(cur, document_id, media_type, size, found):
    cur.execute("""UPDATE docstore.documents SET status = 'quarantined', source_media_type = %s,
                       source_size = %s, scan_signature = %s
                   WHERE id = %s RETURNING *""", (media_type, size, found, document_id))
    return cur.fetchone()


def signed(cur, document_id, key, size, pages, signer, signer_kind):
    cur.execute("""UPDATE docstore.documents SET status = 'signed', sha256 = %s, size = %s,
                       pages = %s, signer = %s, signer_kind = %s, signed_at = now(),
                       failure = NULL
                   WHERE id = %s RETURNING *""",
                (key, size, pages, signer, signer_kind, document_id))
    return cur.fetchone()


def awaiting_signature(cur, document_id, signer_kind, certificate, prepared_key, state,
                       to_sign):
    """The document waits for the remote signer: what the second phase needs is kept."""
    cur.execute("""INSERT INTO docstore.signing_requests (document_id, signer_kind, certificate,
                       prepared_sha256, state, to_sign) VALUES (%s, %s, %s, %s, %s, %s)""",
                (document_id, signer_kind, certificate, prepared_key, json_param(state),
                 to_sign))
    cur.execute("UPDATE docstore.documents SET status = 'awaiting_signature' WHERE id = %s",
                (document_id,))


def signing_request(cur, document_id):
    cur.execute("SELECT * FROM docstore.signing_requests WHERE document_id = %s", (document_id,))
    return cur.fetchone()


def signature_received(cur, document_id, signature):
    """The value sent back is kept for the worker; False when one already waits for it."""
    cur.execute("""UPDATE docstore.signing_requests SET signature = %s, received_at = now(),
                       refused = NULL
                   WHERE document_id = %s AND signature IS NULL RETURNING document_id""",
                (signature, document_id))
    return cur.fetchone() is not None


def signature_refused(cur, document_id, reason):
    """The value sent back did not verify: the document waits for another."""
    cur.execute("""UPDATE docstore.signing_requests SET signature = NULL, refused = %s
                   WHERE document_id = %s""", (reason, document_id))


def failed(cur, document_id, reason):
    cur.execute("UPDATE docstore.documents SET status = 'failed', failure = %s WHERE id = %s"
                " AND status = 'processing'", (reason, document_id))


def reusable(cur, owner_id, document_type, today):
    """Signed documents of this owner and type still valid today, newest first (not results
    issued to another owner: owner_id is the match)."""
    cur.execute("""SELECT * FROM docstore.documents
                   WHERE owner_id = %s AND document_type = %s AND status = 'signed'
                     AND reused_from IS NULL AND (valid_until IS NULL OR valid_until >= %s)
                   ORDER BY signed_at DESC LIMIT 10""", (owner_id, document_type, today))
    return cur.fetchall()


def dossier_documents(cur, dossier_code):
    cur.execute("SELECT * FROM docstore.documents WHERE dossier_code = %s ORDER BY created_at",
                (dossier_code,))
    return cur.fetchall()


def issue_result(cur, document_id, code, department):
    """The agency's signed result becomes dossier `code`'s issued result; None when it is
    not such a document, or was issued before."""
    cur.execute("""UPDATE docstore.documents SET issued_at = now(), dossier_code = %(code)s
                   WHERE id = %(id)s AND kind = 'result' AND status = 'signed'
                     AND department = %(department)s AND issued_at IS NULL
                     AND (dossier_code IS NULL OR dossier_code = %(code)s)
                   RETURNING *""", {"id": str(document_id), "code": code,
                                    "department": department})
    return cur.fetchone()


# downloads ------------------------------------------------------------------------------------
def record_download(cur, document_id, who, role, inline):
    cur.execute("INSERT INTO docstore.downloads (document_id, who, role, inline)"
                " VALUES (%s, %s, %s, %s)", (document_id, who, role, inline))


# reports --------------------------------------------------------------------------------------
def monthly_shares(cur, month_from, month_to):
    """Per agency and month of reception (Asia/Ho_Chi_Minh): dossiers received, those with
    digitised documents, documents scanned and reused, results issued electronically."""
    cur.execute(
        """WITH received AS (
               SELECT code, department,
                      date_trunc('month', received_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AS month
                 FROM docstore.dossiers WHERE received_at >= %(start)s AND received_at < %(end)s),
           documents AS (
               SELECT dossier_code,
                      count(*) FILTER (WHERE kind = 'reception') AS documents,
                      count(*) FILTER (WHERE kind = 'reception' AND source = 'reuse') AS reused,
                      count(*) FILTER (WHERE kind = 'result' AND issued_at IS NOT NULL)
                          AS results
                 FROM docstore.documents WHERE status = 'signed' AND dossier_code IS NOT NULL
                GROUP BY dossier_code)
           SELECT r.department, to_char(r.month, 'YYYY-MM') AS month,
                  count(*) AS dossiers,
                  count(*) FILTER (WHERE d.documents > 0) AS dossiers_digitised,
                  coalesce(sum(d.documents), 0)::int AS documents,
                  coalesce(sum(d.reused), 0)::int AS documents_reused,
                  count(*) FILTER (WHERE d.results > 0) AS results_electronic
             FROM received r LEFT JOIN documents d ON d.dossier_code = r.code
            GROUP BY 1, 2 ORDER BY 2, 1""",
        {"start": month_from, "end": month_to})
    return cur.fetchall()


def counts_by_status(cur):
    cur.execute("SELECT kind, status, count(*) AS n FROM docstore.documents GROUP BY 1, 2")
    return cur.fetchall()


# dossiers (from intake's dossier.received) ---------------------------------------------------
def insert_dossier(cur, dossier):
    cur.execute("""INSERT INTO docstore.dossiers (code, department, center, channel,
                       received_at, lookup_proof)
                   VALUES (%(code)s, %(department)s, %(center)s, %(channel)s, %(received_at)s,
                       %(lookup_proof)s)
                   ON CONFLICT (code) DO NOTHING""", dossier)


def attach_to_dossier(cur, document_ids, code, department):
    """Documents of the agency not yet in a dossier join this one; returns the ids that did."""
    cur.execute("""UPDATE docstore.documents SET dossier_code = %s
                   WHERE id = ANY(%s::uuid[]) AND department = %s
                     AND (dossier_code IS NULL OR dossier_code = %s)
                   RETURNING id""", (code, list(document_ids), department, code))
    return [row["id"] for row in cur.fetchall()]


def get_dossier(cur, code):
    cur.execute("SELECT * FROM docstore.dossiers WHERE code = %s", (code,))
    return cur.fetchone()


def dossier_result(cur, code):
    """The dossier's issued electronic result (the one its completion named), or None."""
    cur.execute("""SELECT * FROM docstore.documents
                   WHERE dossier_code = %s AND kind = 'result' AND issued_at IS NOT NULL
                   ORDER BY issued_at DESC LIMIT 1""", (code,))
    return cur.fetchone()
