"""Result delivery by post: a shipment per dossier, its tracking, and the events it sends."""
import uuid

from prometheus_client import Counter, Histogram

from services.common.events import add_to_outbox, events_exchange, new_envelope, now

from . import store
from .tracking import refusal, tracking_number

SHIPMENTS = Counter("motcua_postal_shipment_transitions_total", "Shipments entering each status",
                    ["status"])
DELIVERY_TIME = Histogram(
    "motcua_postal_delivery_seconds", "From shipment created to delivered",
    buckets=tuple(h * 3600 for h in (6, 12, 24, 48, 72, 120, 168, 336)),
)


class Refused(Exception):
    """A tracking update that cannot apply; raised so its transaction records nothing."""


class NoPostOffice(RuntimeError):
    """No post office is registered to deliver results (retried, then dead-lettered)."""


def delivering_office(cur, dossier_code, configured):
    """The post office that received the dossier, else the configured one, else the first."""
    office = store.reception_post_office(cur, dossier_code) or configured \
        or store.first_post_office(cur)
    if not office:
        raise NoPostOffice("no post office is registered to deliver results by post")
    return office


def create_shipment(cur, result, settings, correlation_id):
    """The new shipment with `postal.shipment_created` in the outbox, or None when the
    dossier already has one (a result made ready twice is shipped once)."""
    delivery = result["delivery"]
    shipment = store.insert_shipment(cur, {
        "id": uuid.uuid4(),
        "tracking_number": tracking_number(settings["prefix"], store.next_tracking_serial(cur)),
        "dossier_code": result["code"],
        "department": result["department"],
        "post_office": delivering_office(cur, result["code"], settings["post_office"]),
        "recipient_name": delivery["recipient_name"],
        "phone": delivery["phone"],
        "address": delivery["address"],
        "fee": settings["fee"],
        "created_at": now(),
    })
    if shipment is None:
        return None
    publish(cur, "postal.shipment_created", shipment, correlation_id, {
        "post_office": shipment["post_office"],
        "fee": shipment["fee"],
        "created_at": shipment["created_at"].isoformat(),
    })
    SHIPMENTS.labels("created").inc()
    return shipment


def apply_update(cur, update, source, actor, correlation_id, post_office=None):
    """Apply one tracking update: ("applied" | "duplicate", shipment), or raise Refused.
    `post_office` limits a clerk to its own office's shipments."""
    shipment = store.get_shipment(cur, update["tracking_number"], lock=True)
    if shipment is None or (post_office and shipment["post_office"] != post_office):
        raise Refused(f"no shipment {update['tracking_number']}"
                      + (f" at post office {post_office}" if post_office else ""))
    if not store.add_tracking_event(cur, shipment["tracking_number"], update, source, actor):
        return "duplicate", shipment
    problem = refusal(shipment["status"], update["event"])
    if update["at"] < shipment["created_at"]:
        problem = "the event is dated before the shipment was created"
    if problem:
        raise Refused(problem)
    attempts = shipment["attempts"] + (update["event"] == "delivery_failed")
    shipment = store.set_shipment_status(cur, shipment["id"], update, attempts)
    announce(cur, shipment, update, correlation_id)
    SHIPMENTS.labels(update["event"]).inc()
    return "applied", shipment


def announce(cur, shipment, update, correlation_id):
    event = update["event"]
    if event == "delivered":
        DELIVERY_TIME.observe((shipment["delivered_at"] - shipment["created_at"]).total_seconds())
        publish(cur, "postal.delivered", shipment, correlation_id,
                {"delivered_at": shipment["delivered_at"].isoformat()})
    elif event in ("delivery_failed", "returned_to_center"):
        publish(cur, "postal.delivery_failed", shipment, correlation_id, {
            "attempt": max(shipment["attempts"], 1),
            "reason": update["reason"],
            "returned_to_center": event == "returned_to_center",
        })


def publish(cur, event_type, shipment, correlation_id, data):
    envelope = new_envelope(
        event_type, "postal",
        {"shipment_id": str(shipment["id"]), "tracking_number": shipment["tracking_number"],
         "code": shipment["dossier_code"], **data},
        correlation_id, dossier_code=shipment["dossier_code"],
    )
    add_to_outbox(cur, store.SCHEMA, envelope, events_exchange("postal"), event_type)


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
