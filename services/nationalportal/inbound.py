"""Inbound: online dossiers from DVCQG, handed to intake as online dossiers awaiting their
formal reception (Decree 118/2025 art. 17(2)(c)).

Each poll asks the portal for the dossiers it has not yet seen taken, fetches each new one
and keeps it under the portal's id (a dossier listed or fetched twice is kept once), hands
it to intake with the portal's id as the Idempotency-Key (a retry after a lost answer
registers nothing twice), and only once intake answered that it committed the submission
acknowledges it to the portal (CapNhatDaNhanHoSo); the portal is then told 1 (registered,
awaiting reception) under its id by the sync. A dossier that cannot be read, or that
intake refuses for its content, is parked with the reason and the portal is told nothing:
it stays listed there until a person deals with it."""
import logging

import requests

from services.common.auth import issue_token

from . import mapping, store, sync
from .client import PortalDown, PortalRefused

log = logging.getLogger("motcua.nationalportal.inbound")

SUBJECT = "nationalportal"
TOKEN_SECONDS = 300
HANDED_PER_POLL = 200


def poll(db, portal, settings, correlation_id):
    """One poll: {taken, registered, acknowledged, parked} counts of this round."""
    outcome = {"taken": 0, "registered": 0, "acknowledged": 0, "parked": 0}
    listed = [item.get("MaHoSoQG") for item in portal.call("new_dossiers").get("result") or []
              if isinstance(item, dict) and isinstance(item.get("MaHoSoQG"), str)]
    with db.transaction() as cur:
        known = store.known_inbound(cur, listed) if listed else {}
    for portal_id in listed:
        if portal_id in known:
            continue
        fetched = portal.call("dossier", mahosoqg=portal_id).get("result")
        with db.transaction() as cur:
            outcome["taken"] += store.take_inbound(cur, portal_id, fetched)
    # acknowledged here but still listed: the portal lost our acknowledgement
    for portal_id in [pid for pid, state in known.items() if state == "acknowledged"]:
        portal.call("taken", mahosoqg=portal_id)
    with db.transaction() as cur:
        waiting = [row["portal_id"] for row in store.open_inbound(cur, HANDED_PER_POLL)]
    for portal_id in waiting:
        # the row stays locked while it is handed over: another process skips it
        with db.transaction() as cur:
            row = store.lock_inbound(cur, portal_id)
            if row is not None:
                outcome[hand_over(cur, portal, settings, row, correlation_id)] += 1
    return outcome


def hand_over(cur, portal, settings, row, correlation_id):
    """One kept dossier moved on as far as it goes: registered at intake, acknowledged."""
    portal_id = row["portal_id"]
    if row["state"] == "taken":
        try:
            request = mapping.submission_request(row["fetched"])
        except mapping.Malformed as exc:
            return parked(cur, portal_id, f"Hồ sơ từ Cổng DVCQG không đọc được: {exc}")
        answer = submit(settings, portal_id, request, correlation_id)
        if answer.status_code in (200, 201):
            submission = answer.json()
            store.mark_registered(cur, portal_id, submission["id"])
            sync.record_registration(cur, submission)
        elif answer.status_code == 422:
            return parked(cur, portal_id, refusal(answer))
        elif store.count_inbound_attempt(cur, portal_id, refusal(answer),
                                         settings.inbound_max_attempts):
            return "parked"
        else:
            return "taken"
    try:
        portal.call("taken", mahosoqg=portal_id)
    except (PortalDown, PortalRefused) as exc:
        log.warning("acknowledgement not taken; again at the next poll",
                    extra={"portal_id": portal_id, "error": str(exc)})
        return "registered"
    store.mark_acknowledged(cur, portal_id)
    return "acknowledged"


def submit(settings, portal_id, request, correlation_id):
    token = issue_token(settings.token_secret, "portal", subject=SUBJECT, ttl=TOKEN_SECONDS)
    try:
        return requests.post(
            f"{settings.intake_url}/api/v1/submissions", json=request,
            timeout=settings.intake_timeout,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"dvcqg-{portal_id}",
                     "X-Correlation-Id": correlation_id})
    except requests.RequestException as exc:
        return Unreached(exc)


class Unreached:
    """intake did not answer: kept, and handed again at the next poll (same key)."""

    status_code = 503

    def __init__(self, exc):
        self.text = f"intake không trả lời: {type(exc).__name__}"


def refusal(answer):
    try:
        body = answer.json()
    except (ValueError, AttributeError):
        return f"HTTP {answer.status_code}: {answer.text[:300]}"
    error = body.get("error") or {} if isinstance(body, dict) else {}
    named = "; ".join(f"{field}: {' '.join(map(str, problems))}"
                      for field, problems in sorted((error.get("fields") or {}).items()))
    return f"intake từ chối ({answer.status_code}): {error.get('message', '')} {named}".strip()


def parked(cur, portal_id, reason):
    log.warning("online dossier parked", extra={"portal_id": portal_id})
    store.park(cur, portal_id, reason[:2000])
    return "parked"
