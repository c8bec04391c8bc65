"""What payment's HTTP entrypoints need beyond what `@api` loads: a write answered once per
Idempotency-Key (services.common.idempotency); the statement file, which comes as the raw
request body (CSV, not JSON), read within its limits; the gateway's signed parameters."""
import json

from services.common import idempotency
from services.common.http import ApiError, json_response, read_upload
from services.common.uploads import one_line_end

from .store import SCHEMA

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
MAX_STATEMENT_LINES = 100_000  # under the header


def answered_once(db, request, caller, content, action, status=201):
    """`action(cur)` → the answer, run in one transaction once per Idempotency-Key: a retry
    with the same key and request (`content`: what identifies it beyond method and path) gets
    the first answer again; another request with that key is a 409."""
    key = idempotency.key_of(request)
    with db.transaction() as cur:
        held = None
        if key:
            held, earlier = idempotency.claim(
                cur, SCHEMA, caller.subject, key,
                idempotency.request_hash(request.method, request.path, content))
            if earlier:
                earlier_status, answer = earlier
                return json_response(answer, earlier_status, {"Idempotent-Replayed": "true"})
        answer = json.loads(json.dumps(action(cur), default=str))  # as a replay reads it back
        if held:
            idempotency.save(cur, held, status, answer)
    return json_response(answer, status)


def statement_file(request):
    """The uploaded statement's bytes (services.common.http.read_upload: 413 over
    MAX_STATEMENT_BYTES, 422 when empty); 413 over MAX_STATEMENT_LINES lines."""
    raw = read_upload(request, MAX_STATEMENT_BYTES)
    lines = sum(1 for line in one_line_end(raw).split(b"\n") if line)
    if lines - 1 > MAX_STATEMENT_LINES:
        raise ApiError(413, "statement_too_large", f"more than {MAX_STATEMENT_LINES} lines")
    return raw


def gateway_params(request):
    """The gateway's vnp_* query parameters as sent, all of them (its signature covers them:
    no schema may drop or convert one)."""
    return request.args.to_dict()
