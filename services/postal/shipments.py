"""Result delivery by post: a shipment per dossier, its tracking (a clerk's updates, the
carrier's file), and the events it sends."""
import logging
import uuid

from marshmallow import ValidationError
from prometheus_client import Counter, Gauge, Histogram

from services.common import events
from services.common.consumer import PoisonMessage
from services.common.contracts import DeliveryFailed, ShipmentCreated, ShipmentDelivered
from services.common.errors import Invalid, NotFound
from services.common.events import now

from . import store
from .errors import TrackingRefused, UnknownShipment
from .tracking import STATUSES, TrackingUpdateSchema, refusal, tracking_number, validate_rows

log = logging.getLogger("motcua.postal")

SHIPMENTS = Counter("motcua_postal_shipment_transitions_total", "Shipments entering each status",
                    ["status"])
SHIPMENTS_NOW = Gauge("motcua_postal_shipments_by_status", "Shipments now in each status",
                      ["status"])
DELIVERY_TIME = Histogram(
    "motcua_postal_delivery_seconds", "From shipment created to delivered",
    buckets=tuple(h * 3600 for h in (6, 12, 24, 48, 72, 120, 168, 336)),
)
TRACKING_UPDATE = TrackingUpdateSchema()
# What a shipment reads of dossier.result_ready: it is checked for these fields only.
RESULT_FIELDS = ("code", "department", "delivery", "releasable")


class NoPostOffice(RuntimeError):
    """No post office is registered to deliver results (retried, then dead-lettered)."""


def ship_result(cur, envelope, result, settings):
    """dossier.result_ready: a result to deliver by post, once releasable (fees paid), gets
    its one shipment; one for the counter, or held, gets nothing (routing sends it again when
    it is released). Returns what to log after the commit."""
    delivery = result["delivery"]
    if delivery["method"] == "post" and not delivery["address"]:
        raise PoisonMessage("delivery by post without an address")
    if delivery["method"] != "post" or not result["releasable"]:
        return None
    shipment = create_shipment(cur, result, settings, envelope["correlation_id"])
    if shipment is None:
        return None
    return lambda: log.info("shipment created", extra={
        "dossier_code": result["code"], "tracking_number": shipment["tracking_number"]})


def delivering_office(cur, dossier_code, configured):
    """The post office that received the dossier, else the configured one, else the first."""
    office = store.reception_post_office(cur, dossier_code) or configured \
        or store.first_post_office(cur)
    if not office:
        raise NoPostOffice("Chưa đăng ký bưu điện nào để chuyển phát kết quả.")
    return office


def create_shipment(cur, result, settings, correlation_id):
    """The new shipment with `postal.shipment_created` in the outbox, or None when the
    dossier already has one (a result made ready twice is shipped once)."""
    delivery = result["delivery"]
    shipment = store.insert_shipment(cur, {
        "id": uuid.uuid4(),
        "tracking_number": tracking_number(settings.tracking_prefix,
                                           store.next_tracking_serial(cur)),
        "dossier_code": result["code"],
        "department": result["department"],
        "post_office": delivering_office(cur, result["code"], settings.delivery_post_office),
        "recipient_name": delivery["recipient_name"],
        "phone": delivery["phone"],
        "address": delivery["address"],
        "fee": settings.result_fee,
        "created_at": now(),
    })
    if shipment is None:
        return None
    publish(cur, "postal.shipment_created", ShipmentCreated, shipment, correlation_id, {
        "post_office": shipment["post_office"], "fee": shipment["fee"],
        "created_at": shipment["created_at"]})
    SHIPMENTS.labels("created").inc()
    return shipment


def apply_update(cur, update, source, actor, correlation_id, post_office=None):
    """Apply one tracking update: ("applied" | "duplicate", shipment), or raise
    UnknownShipment or TrackingRefused. `post_office` limits a clerk to its own office's
    shipments."""
    shipment = store.get_shipment(cur, update["tracking_number"], lock=True)
    if shipment is None or (post_office and shipment["post_office"] != post_office):
        raise UnknownShipment(f"Không có bưu gửi {update['tracking_number']}"
                              + (f" tại bưu điện {post_office}" if post_office else "") + ".")
    if not store.add_tracking_event(cur, shipment["tracking_number"], update, source, actor):
        return "duplicate", shipment
    problem = refusal(shipment["status"], update["event"])
    if update["at"] < shipment["created_at"]:
        problem = "Sự kiện mang ngày trước khi bưu gửi được tạo."
    if problem:
        raise TrackingRefused(problem)
    attempts = shipment["attempts"] + (update["event"] == "delivery_failed")
    shipment = store.set_shipment_status(cur, shipment["id"], update, attempts)
    announce(cur, shipment, update, correlation_id)
    SHIPMENTS.labels(update["event"]).inc()
    return "applied", shipment


def announce(cur, shipment, update, correlation_id):
    event = update["event"]
    if event == "delivered":
        DELIVERY_TIME.observe((shipment["delivered_at"] - shipment["created_at"]).total_seconds())
        publish(cur, "postal.delivered", ShipmentDelivered, shipment, correlation_id,
                {"delivered_at": shipment["delivered_at"]})
    elif event in ("delivery_failed", "returned_to_center"):
        publish(cur, "postal.delivery_failed", DeliveryFailed, shipment, correlation_id, {
            "attempt": max(shipment["attempts"], 1),
            "reason": update["reason"],
            "returned_to_center": event == "returned_to_center",
        })


def publish(cur, event_type, contract, shipment, correlation_id, data):
    events.publish(cur, store.SCHEMA, event_type, contract,
                   {"shipment_id": str(shipment["id"]),
                    "tracking_number": shipment["tracking_number"],
                    "code": shipment["dossier_code"], **data},
                   correlation_id, shipment["dossier_code"])


def clerk_update(cur, tracking_number, body, clerk, correlation_id):
    """(outcome, shipment view) of a clerk's tracking event for its office's shipment."""
    try:
        update = TRACKING_UPDATE.load({
            "tracking_number": tracking_number, "event": body["event"],
            "at": (body["at"] or now()).isoformat(), "reason": body["reason"]})
    except ValidationError as exc:
        raise Invalid("Cập nhật không hợp lệ.", fields=exc.messages) from exc
    outcome, shipment = apply_update(cur, update, "clerk", clerk.subject, correlation_id,
                                     clerk.post_office)
    return outcome, public_view(shipment)


def import_rows(db, rows, caller, correlation_id):
    """The carrier's tracking file: each row validated and applied on its own (in its own
    transaction); bad rows are reported and skipped, repeated rows change nothing. `lines`
    tells each row's outcome, in the file's order, for the clerk's per-line report."""
    office = own_office(caller)
    valid, rejected = validate_rows(rows)
    lines = []
    for number, update in valid:
        try:
            with db.transaction() as cur:
                outcome, _ = apply_update(cur, update, "import", caller.subject,
                                          correlation_id, office)
        except (UnknownShipment, TrackingRefused) as refused:
            rejected.append({"row": number, "tracking_number": update["tracking_number"],
                             "errors": {"event": [refused.message]}})
            continue
        lines.append({"row": number, "tracking_number": update["tracking_number"],
                      "outcome": outcome})
    lines += [{"tracking_number": None, **row, "outcome": "rejected"} for row in rejected]
    lines.sort(key=lambda line: line["row"])
    rejected.sort(key=lambda r: r["row"])
    applied = sum(line["outcome"] == "applied" for line in lines)
    duplicates = sum(line["outcome"] == "duplicate" for line in lines)
    log.info("tracking file imported", extra={"rows": len(rows), "applied": applied,
                                              "duplicates": duplicates,
                                              "rejected": len(rejected)})
    return {"rows": len(rows), "applied": applied, "duplicates": duplicates,
            "rejected": rejected, "lines": lines}


def listed(cur, caller, query):
    found = store.list_shipments(cur, own_office(caller), query["status"], query["limit"])
    return [public_view(shipment) for shipment in found]


def one(cur, caller, tracking_number):
    """The shipment with its tracking history, if the caller may see it."""
    shipment = store.get_shipment(cur, tracking_number)
    office = own_office(caller)
    if shipment is None or (office and shipment["post_office"] != office):
        raise NotFound(f"Không tìm thấy bưu gửi {tracking_number} (hoặc bạn không được xem).")
    return public_view(shipment, store.tracking_history(cur, tracking_number))


def of_dossier(cur, caller, code):
    """The result shipment of the caller's dossier (a citizen's token opens one), with its
    tracking history."""
    shipment = store.shipment_of_dossier(cur, code) if code == caller.dossier else None
    if shipment is None:
        raise NotFound(f"Hồ sơ {code} không có bưu gửi kết quả.")
    return public_view(shipment, store.tracking_history(cur, shipment["tracking_number"]))


def own_office(caller):
    """A clerk sees its own post office's shipments only (None: every office's)."""
    return caller.post_office if caller.role == "postal_clerk" else None


def count_by_status(cur):
    """The shipments now in each status, for the gauge read at scrape."""
    counts = store.shipments_by_status(cur)
    for status in STATUSES:
        SHIPMENTS_NOW.labels(status).set(counts.get(status, 0))


def public_view(shipment, history=None):
    view = {
        "tracking_number": shipment["tracking_number"],
        "dossier_code": shipment["dossier_code"],
        "department": shipment["department"],
        "post_office": shipment["post_office"],
        "fee": shipment["fee"],
        "status": shipment["status"],
        "attempts": shipment["attempts"],
        "last_failure": shipment["last_failure"],
        "created_at": shipment["created_at"].isoformat(),
        "status_at": shipment["status_at"].isoformat(),
        "delivered_at": shipment["delivered_at"] and shipment["delivered_at"].isoformat(),
        "returned_at": shipment["returned_at"] and shipment["returned_at"].isoformat(),
    }
    if history is not None:
        view["history"] = [{"event": h["event"], "at": h["at"].isoformat(),
                            "reason": h["reason"], "source": h["source"]} for h in history]
    return view
