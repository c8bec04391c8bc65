"""Outbound sync: every dossier added to DVCQG then updated (DongBoHoSoMC), every step pushed
as a progress row (CapNhatTienDoHoSoMC), in order per dossier: a step goes only once the
portal holds its dossier, and the steps go oldest first. An online dossier taken from the
portal first has its status set there under the portal's own id (DongBoTrangThaiHoSo): 1
(registered, awaiting its formal reception), 5 if the officer asks for corrections, 2 once
received, with motcua's code; it goes under that code only after the portal acknowledged
those.

The events are recorded at once (their handlers only write rows); a timer pushes what is
due, several dossiers at a time. A send whose answer was lost is not repeated blindly: an
add the portal already holds is answered "đã tồn tại" and sent again as an update, and a
progress row sent before is looked up (TraCuuHoSo) and acknowledged instead of sent twice.
While the portal is down a dossier waits with a growing backoff (the client's circuit
breaker stops calling it at all); after the last attempt, or when the portal refuses what
it was sent, it is parked as failed with the portal's answer until a manager retries it."""
import logging
import random
import uuid
from collections import defaultdict

import eventlet
from prometheus_client import Counter, Gauge

from services.common.contracts import PortalDossierSynced, PortalSyncFailed
from services.common.events import now, publish

from . import mapping, store
from .client import PortalDown, PortalRefused

log = logging.getLogger("motcua.nationalportal.sync")

RECEIVED_FIELDS = ("code", "procedure", "channel", "received_at", "due_date", "applicant",
                   "documents", "submission_id", "receiver", "receiving_unit",
                   "result_delivery")
EVALUATED_FIELDS = ("code", "procedure_code", "answers", "evaluated_at")
STATUS_FIELDS = ("code", "department", "public_status", "actor", "reason", "at", "due_date")

FAILURES = Counter("motcua_nationalportal_sync_failures_total",
                   "Dossier sends that failed, by reason", ["reason"])
DOSSIERS = Gauge("motcua_nationalportal_dossiers", "Dossiers by sync state", ["state"])
STEPS = Gauge("motcua_nationalportal_steps", "Progress steps by sync state", ["state"])
SHARE = Gauge("motcua_nationalportal_synced_ratio",
              "Share of the dossiers the portal shows as they stand (Decision 766/QĐ-TTg)")
LAG = Gauge("motcua_nationalportal_sync_lag_seconds",
            "Age of the oldest change the portal has not acknowledged (0 when none)")
SYNC_STATES = ("pending", "sent", "acknowledged", "failed")
SOURCE = "nationalportal"


# recording the events ------------------------------------------------------------------------
def record_reception(cur, envelope, data):
    """A dossier received: the portal must get it, with its first step; one it handed us is
    told 2 under its own id first, with our code."""
    facts = mapping.reception_facts(data)
    portal_id = store.portal_id_of(cur, data.get("submission_id"))
    store.add_dossier(cur, facts, portal_id)
    if portal_id:
        store.add_reception_step(
            cur, data["submission_id"], mapping.RECEPTION_CODES["received"],
            data["received_at"], mapping.reception_step_facts(
                "received", data["received_at"], code=data["code"]))
    store.add_step(cur, envelope["id"], data["code"], data["received_at"],
                   mapping.STATUS_CODES["received"], mapping.step_facts({
                       "public_status": "received", "department": facts["procedure"]["department"],
                       "actor": data["receiver"].get("id") or data["receiving_unit"],
                       "reason": None, "at": data["received_at"], "due_date": data["due_date"]}))


def record_step(cur, envelope, data):
    facts = mapping.step_facts(data)
    store.add_step(cur, envelope["id"], data["code"], data["at"],
                   mapping.STATUS_CODES[facts["status"]], facts)


def record_bill(cur, envelope, data):
    if data["kind"] == "fee":  # postal charges are not the procedure's fees
        store.record_bill(cur, data["bill_id"], data["code"], data["amount"],
                          data["description"])


def record_settlement(cur, envelope, data):
    if data["kind"] == "fee":
        store.record_settlement(cur, data["bill_id"], data["code"], data["amount"],
                                data["paid"], data["settled_at"])


def record_result(cur, envelope, data):
    store.record_result(cur, data["code"], data["result_reference"], data["ready_at"],
                        data["releasable"])


def record_registration(cur, submission):
    """intake registered an online dossier the portal handed us (its submission as intake
    answered it): the portal is told 1."""
    store.add_reception_step(
        cur, submission["id"], mapping.RECEPTION_CODES["awaiting_reception"],
        submission["submitted_at"], mapping.reception_step_facts(
            "awaiting_reception", submission["submitted_at"]))


def record_corrections(cur, envelope, data):
    """The officer asked for corrections instead of receiving it: the portal is told 5 with
    the reason (a submission the portal did not hand us is never sent)."""
    store.add_reception_step(
        cur, data["submission_id"], mapping.RECEPTION_CODES["corrections_requested"],
        data["requested_at"], mapping.reception_step_facts(
            "corrections_requested", data["requested_at"], reason=data["reason"]))


def record_rating(cur, envelope, data):
    """An evaluation, counted in its month's summary (ratings.py)."""
    store.add_rating(cur, envelope["id"], data["code"], data["procedure_code"],
                     data["evaluated_at"], data["answers"])


# pushing -------------------------------------------------------------------------------------
def push(db, portal, settings):
    """One round: the statuses before reception that are due, then the dossiers that are,
    `settings.concurrency` at a time; how many dossiers."""
    push_reception_steps(db, portal, settings)
    with db.transaction() as cur:
        claimed = store.claim_due(cur, settings.batch, settings.lease)
        steps, bills = defaultdict(list), defaultdict(list)
        codes = [row["code"] for row in claimed]
        for step in store.steps_of(cur, codes) if claimed else ():
            steps[step["code"]].append(step)
        for bill in store.fees_of(cur, codes) if claimed else ():
            bills[bill["code"]].append(bill)
        results = {row["code"]: row for row in store.results_of(cur, codes)} if claimed else {}
    pool = eventlet.GreenPool(settings.concurrency)
    for dossier in claimed:
        pool.spawn_n(push_one, db, portal, settings, dossier, steps[dossier["code"]],
                     bills[dossier["code"]], results.get(dossier["code"]))
    pool.waitall()
    return len(claimed)


def push_one(db, portal, settings, dossier, steps, bills=(), result=None):
    code = dossier["code"]
    try:
        record = mapping.dossier_record(dossier["facts"], steps, dossier["portal_id"], bills,
                                        result)
        open_steps = [step for step in steps if step["state"] in ("pending", "sent")]
        rows = {step["id"]: mapping.step_row(code, step["facts"],
                                             dossier["facts"]["received_at"])
                for step in open_steps}
    except mapping.MissingField as exc:
        FAILURES.labels("missing_field").inc()
        log.error("dossier cannot be synced", extra={"dossier_code": code, "field": exc.field})
        with db.transaction() as cur:
            failed(cur, code, str(exc), store.mark_failed(cur, code, str(exc)))
        return
    try:
        send_record(portal, record, dossier["added"])
        with db.transaction() as cur:
            store.mark_added(cur, code)
        if open_steps:
            send_steps(db, portal, code, open_steps, rows)
        with db.transaction() as cur:
            store.mark_synced(cur, code, dossier["version"])
            publish(cur, SOURCE, "portal.dossier_synced", PortalDossierSynced, {
                "code": code, "portal_id": dossier["portal_id"],
                "status_code": record["TrangThaiHoSo"], "version": dossier["version"],
                "synced_at": now()}, str(uuid.uuid4()), dossier_code=code)
    except PortalDown as exc:
        FAILURES.labels(exc.reason).inc()
        with db.transaction() as cur:
            parked = store.mark_retry(cur, code, backoff(dossier["attempts"], settings),
                                      str(exc), settings.max_attempts)
            if parked is not None:
                failed(cur, code, f"Cổng DVCQG không trả lời: {exc}", parked)
        if parked is not None:
            log.error("dossier parked: the portal stayed down",
                      extra={"dossier_code": code, "reason": exc.reason})
    except PortalRefused as exc:
        FAILURES.labels("refused").inc()
        log.error("the portal refused a dossier", extra={"dossier_code": code,
                                                         "error_code": exc.error_code})
        reason = f"Cổng DVCQG trả lời {exc.error_code}: {exc.message}"
        with db.transaction() as cur:
            failed(cur, code, reason, store.mark_failed(cur, code, reason))


def failed(cur, code, reason, attempts):
    """portal.sync_failed, in the transaction that parked the dossier."""
    publish(cur, SOURCE, "portal.sync_failed", PortalSyncFailed, {
        "code": code, "reason": reason[:1000], "attempts": attempts, "failed_at": now(),
    }, str(uuid.uuid4()), dossier_code=code)


def send_record(portal, record, added):
    try:
        portal.call("sync", isUpdating="True" if added else "False", data=[record])
    except PortalRefused as exc:
        if added or not exc.already_exists:
            raise
        portal.call("sync", isUpdating="True", data=[record])


def send_steps(db, portal, code, open_steps, rows):
    """The dossier's open steps, oldest first; one sent before with its answer lost is
    acknowledged if the portal shows it."""
    uncertain = [step["id"] for step in open_steps if step["state"] == "sent"]
    shown = []
    if uncertain:
        found = portal.call("lookup", mahoso=code).get("result") or []
        shown = found[0].get("TienDo", []) if found else []
    already = [step_id for step_id in uncertain
               if any(mapping.same_step(rows[step_id], row) for row in shown)]
    to_send = [step["id"] for step in open_steps if step["id"] not in already]
    with db.transaction() as cur:
        store.mark_steps(cur, already, "acknowledged")
        store.mark_steps(cur, to_send, "sent")
    if not to_send:
        return
    try:
        portal.call("progress", data=[rows[step_id] for step_id in to_send])
    except PortalRefused as exc:
        with db.transaction() as cur:
            store.mark_steps(cur, to_send, "failed", f"{exc.error_code}: {exc.message}")
        raise
    with db.transaction() as cur:
        store.mark_steps(cur, to_send, "acknowledged")


def push_reception_steps(db, portal, settings):
    """The due statuses before reception, under each portal id oldest first."""
    with db.transaction() as cur:
        claimed = store.claim_reception_steps(cur, settings.batch, settings.lease)
    by_portal_id = defaultdict(list)
    for step in claimed:
        by_portal_id[step["portal_id"]].append(step)
    pool = eventlet.GreenPool(settings.concurrency)
    for portal_id, steps in by_portal_id.items():
        pool.spawn_n(send_reception_steps, db, portal, settings, portal_id, steps)
    pool.waitall()


def send_reception_steps(db, portal, settings, portal_id, steps):
    """One portal id's statuses, oldest first, one call each: sent again after a lost
    answer, a status is set again, nothing more. The portal down, the rest wait; one it
    refuses is failed with its answer and holds nothing back."""
    for index, step in enumerate(steps):
        with db.transaction() as cur:
            store.mark_reception_steps(cur, [step["id"]], "sent")
        try:
            portal.call("status", type=mapping.RECEPTION_TYPE,
                        data=mapping.reception_status(portal_id, step["facts"]))
        except PortalDown as exc:
            FAILURES.labels(exc.reason).inc()
            with db.transaction() as cur:
                store.delay_reception_steps(cur, [s["id"] for s in steps[index:]],
                                            backoff(step["attempts"], settings), str(exc))
            return
        except (PortalRefused, mapping.MissingField) as exc:
            FAILURES.labels("refused").inc()
            log.error("the portal refused a status before reception",
                      extra={"portal_id": portal_id, "error": str(exc)[:300]})
            with db.transaction() as cur:
                store.mark_reception_steps(cur, [step["id"]], "failed", str(exc))
            continue
        with db.transaction() as cur:
            store.mark_reception_steps(cur, [step["id"]], "acknowledged")


def backoff(attempts, settings):
    """Seconds before the next try: doubling from the first, at most the most, with jitter
    so that dossiers held back together do not come back together."""
    delay = min(settings.backoff_first * 2 ** min(attempts, 30), settings.backoff_max)
    return delay * random.uniform(0.5, 1.0)


# reading the state ---------------------------------------------------------------------------
def overview(cur):
    """The share synced, the lag, the counts by state and the failed dossiers."""
    rows = store.sync_counts(cur)
    counts = {state: 0 for state in SYNC_STATES}
    lag = 0.0
    for row in rows:
        counts[row["state"]] = row["n"]
        if row["state"] != "acknowledged" and row["lag"] is not None:
            lag = max(lag, float(row["lag"]))
    total = sum(counts.values())
    return {"dossiers": total, "by_state": counts,
            "synced_share": round(counts["acknowledged"] / total, 4) if total else 1.0,
            "lag_seconds": round(lag, 1), "steps": store.step_counts(cur),
            "reception_steps": store.reception_step_counts(cur),
            "failed": [dict(row) for row in store.failed_dossiers(cur, 100)]}


def refresh_metrics(cur):
    view = overview(cur)
    for state in SYNC_STATES:
        DOSSIERS.labels(state).set(view["by_state"][state])
        STEPS.labels(state).set(view["steps"].get(state, 0))
    SHARE.set(view["synced_share"])
    LAG.set(view["lag_seconds"])
