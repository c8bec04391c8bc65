"""Idempotent writes: a client that retries a request with the same `Idempotency-Key` gets
the first answer again instead of a second effect. The key is claimed in the transaction of
the request's effect and its answer saved before that commits, so an effect and its key
commit together or not at all (a concurrent request with the same key waits on the claim).

Keys live in `<schema>.idempotency_keys` (services/common/kernel_tables.sql), per caller."""
import hashlib
import json
from dataclasses import dataclass

from .db import json_param
from .http import ApiError, json_response

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Claim:
    schema: str
    principal: str
    key: str
    request_hash: str


def key_of(request):
    """The request's Idempotency-Key, or None; 400 when it is empty or too long."""
    key = request.headers.get(HEADER)
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ApiError(400, "bad_idempotency_key",
                       f"{HEADER} phải có từ 1 đến {MAX_KEY_LENGTH} ký tự.")
    return key


def request_hash(*parts):
    """What identifies the request's content: the same parts give the same hash."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def claim(cur, schema, principal, key, digest):
    """(Claim, None) when the key is new, now held by this transaction; (None, (status,
    answer)) when the same request was answered before; 409 when the key was used for
    another request."""
    cur.execute(f"""INSERT INTO {schema}.idempotency_keys (principal, key, request_hash)
                    VALUES (%s, %s, %s) ON CONFLICT DO NOTHING""", (principal, key, digest))
    if cur.rowcount == 1:
        return Claim(schema, principal, key, digest), None
    cur.execute(f"""SELECT request_hash, status, response FROM {schema}.idempotency_keys
                    WHERE principal = %s AND key = %s""", (principal, key))
    earlier = cur.fetchone()
    if earlier["request_hash"] != digest:
        raise ApiError(409, "idempotency_key_reused",
                       f"{HEADER} này đã được dùng cho một yêu cầu khác.")
    return None, (earlier["status"], earlier["response"])


def earlier_answer(cur, schema, principal, key, digest):
    """(status, answer) given before to the same request with this key, None when the key
    was not used yet; 409 when it was used for another request. Claims nothing: for a write
    whose effect is committed in several transactions (claim and save in the last)."""
    cur.execute(f"""SELECT request_hash, status, response FROM {schema}.idempotency_keys
                    WHERE principal = %s AND key = %s""", (principal, key))
    earlier = cur.fetchone()
    if earlier is None:
        return None
    if earlier["request_hash"] != digest:
        raise ApiError(409, "idempotency_key_reused",
                       f"{HEADER} này đã được dùng cho một yêu cầu khác.")
    return earlier["status"], earlier["response"]


def save(cur, held, status, answer):
    """The answer to give again to a retry of the request whose key `held` is."""
    cur.execute(f"""UPDATE {held.schema}.idempotency_keys SET status = %s, response = %s
                    WHERE principal = %s AND key = %s""",
                (status, json_param(answer), held.principal, held.key))


def answered_once(db, schema, request, caller, content, action, status=201):
    """`action(cur)` -> the answer, run in one transaction once per Idempotency-Key: a retry
    with the same key and request (`content`: what identifies it beyond method and path) gets
    the first answer again, marked Idempotent-Replayed; another request with the key is a
    409. Without a key it simply runs."""
    key = key_of(request)
    with db.transaction() as cur:
        held = None
        if key:
            held, earlier = claim(cur, schema, caller.subject, key,
                                  request_hash(request.method, request.path, content))
            if earlier:
                earlier_status, answer = earlier
                return json_response(answer, earlier_status, {"Idempotent-Replayed": "true"})
        answer = json.loads(json.dumps(action(cur), default=str))  # as a replay reads it back
        if held:
            save(cur, held, status, answer)
    return json_response(answer, status)
