"""The evaluations on DVCQG: the portal takes a monthly summary per procedure
(DongBoDanhGia: NgayTongHop "M-YYYY", TongSoNguoiDanhGia and the shares very satisfied,
satisfied, not satisfied), not each dossier's evaluation. A run computes a month's
summaries from the evaluations this service received (the latest of each dossier), keeps
each one, and sends those that changed since they were last acknowledged; a later run
replaces a month's summary, here and on the portal."""
import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from services.common.events import TIMEZONE, now

from . import mapping, store
from .client import PortalDown, PortalRefused

log = logging.getLogger("motcua.nationalportal.ratings")

SENT_PER_CALL = 100


def month_of(moment):
    return date(moment.year, moment.month, 1)


def previous_month(month):
    return month_of(month - timedelta(days=1))


def summarise(db, portal, unit_code, unit_name, month):
    """The month's summaries (kept, the changed ones sent): {month, summaries, sent}."""
    start = datetime.combine(month, time(), TIMEZONE)
    end = datetime.combine(month_of(month + timedelta(days=32)), time(), TIMEZONE)
    with db.transaction() as cur:
        by_procedure = defaultdict(list)
        for row in store.month_evaluations(cur, start, end):
            by_procedure[row["procedure_code"]].append(row["answers"])
        for procedure_code, evaluations in by_procedure.items():
            store.keep_summary(cur, month, procedure_code, mapping.rating_summary(
                month, procedure_code, evaluations, unit_code, unit_name))
    sent = send_due(db, portal)
    with db.transaction() as cur:
        return {"month": month.isoformat()[:7], "sent": sent,
                "summaries": [dict(row) for row in store.summaries_of(cur, month)]}


def send_due(db, portal):
    """The summaries not yet acknowledged, in calls of SENT_PER_CALL; how many were."""
    sent = 0
    while True:
        with db.transaction() as cur:
            due = store.due_summaries(cur, SENT_PER_CALL)
        if not due:
            return sent
        try:
            portal.call("rating", data=[row["summary"] for row in due])
        except PortalRefused as exc:
            log.error("the portal refused the rating summaries",
                      extra={"error_code": exc.error_code})
            with db.transaction() as cur:
                store.mark_summaries(cur, due, "failed", f"{exc.error_code}: {exc.message}")
            continue
        with db.transaction() as cur:
            store.mark_summaries(cur, due, "acknowledged")
        sent += len(due)


def run(db, portal, unit_code, unit_name):
    """The timer's run: this month's summaries and the last month's (an evaluation of its
    last hours may arrive after it ended). The portal down, they wait for the next run."""
    month = month_of(now().astimezone(TIMEZONE))
    try:
        for which in (previous_month(month), month):
            summarise(db, portal, unit_code, unit_name, which)
    except PortalDown as exc:
        log.warning("rating summaries not sent: the portal did not answer",
                    extra={"reason": exc.reason})
