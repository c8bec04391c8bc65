"""Delivery reports: the gateway's word on an SMS it took (Kannel's dlr-url, an aggregator's
callback). A report is the evidence that the message went: it settles an attempt whose
outcome was lost, and one the sender has not recorded yet."""
import hmac
import logging

from . import store
from .errors import UnknownNotification, UnknownReportSecret
from .gateways import DLR_DELIVERED, DLR_SMSC_ACK, DLR_SMSC_REJECT, DLR_UNDELIVERED
from .metrics import IN_DOUBT
from .sender import finished

log = logging.getLogger("motcua.notify")

# The statuses a report moves a notification from: `pending` too, as an attempt whose
# answer was lost may have been recorded as a refusal to retry.
OPEN = ("pending", "sending", "unknown")
REPORTABLE = {"accepted": OPEN, "delivered": (*OPEN, "sent"), "failed": (*OPEN, "sent")}


def check_secret(expected, secret):
    """The secret in the report's URL is the one notify gave the gateway."""
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise UnknownReportSecret("Mã bí mật của báo cáo gửi tin không đúng.")


def report_status(query):
    """delivered / failed / accepted (by the SMSC) / None (another intermediate report)."""
    if query["status"]:
        return query["status"]
    kind = query["type"]
    if kind & DLR_DELIVERED:
        return "delivered"
    if kind & (DLR_UNDELIVERED | DLR_SMSC_REJECT):
        return "failed"
    if kind & DLR_SMSC_ACK:
        return "accepted"
    return None


def record_report(cur, query, provider):
    """Applies the report (DlrQuerySchema) of an SMS sent through `provider` where it moves
    the notification on; notes it otherwise. Returns the answer."""
    status = report_status(query)
    row = store.lock(cur, query["id"])
    if row is None:
        raise UnknownNotification("Không có thông báo nào mang mã này.")
    if row["status"] in REPORTABLE.get(status, ()):
        apply_report(cur, row, status, query, provider)
    else:
        log.info("delivery report noted", extra={"notification_id": str(row["id"]),
                                              "report": status, "now": row["status"]})
    return {"id": str(query["id"]), "status": status or "noted"}


def apply_report(cur, row, status, query, provider):
    if status == "accepted":
        store.mark_accepted(cur, row["id"], provider)
    else:
        store.finish(cur, row["id"], status, None if status == "delivered"
                     else f"delivery report {query['type'] or query['status']}")
        finished(cur, row, status)
    if row["status"] == "unknown":
        IN_DOUBT.labels(row["channel"], "settled").inc()
    log.info("delivery report", extra={"notification_id": str(row["id"]),
                                       "dossier_code": row["dossier_code"], "status": status})
