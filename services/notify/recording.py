"""What the event handlers do: record the notifications an event asks for, rendered, as
`pending` (or `opted_out`), in the transaction that records its delivery. Nothing is sent
here; the sender takes them once committed.

An event for a dossier whose dossier.received has not been handled yet is kept to wait for
the dossier's contact; the dossier.received that brings the contact records its
notifications too."""
import logging

from services.common import lookup
from services.common.consumer import PoisonMessage, bind_envelope, validate_data
from services.common.events import now

from . import messages, store
from .contacts import contact_of
from .metrics import NOTIFICATIONS, UNRENDERABLE
from .quiet import earliest_send
from .sms import RenderError

log = logging.getLogger("motcua.notify")

CHANNELS = ("sms", "email")


def record(db, settings, consumer, events):
    """Records the notifications of events of one type delivered to `consumer` ([(envelope,
    data)], distinct ids) in one transaction of two round trips: the one that opens it (their
    dossiers' locks, their deliveries, the contacts) and the one that records them all and
    commits. True when some wait to be sent."""
    with db.spelled_out_transaction() as cur:
        rows = notifications_of(settings, events, open_events(cur, consumer, events))
        store.commit(cur, rows)
    for row in rows:  # counted once committed
        if row["status"] == "opted_out":
            NOTIFICATIONS.labels(row["channel"], row["template"], "opted_out").inc()
    return any(row["status"] == "pending" for row in rows)


def open_events(cur, consumer, events):
    if events[0][0]["type"] == "dossier.received":
        return store.receive_dossiers(cur, consumer, [
            (envelope["id"], contact_of(data)) for envelope, data in events])
    return store.open_later_events(cur, consumer, [envelope for envelope, _ in events])


def notifications_of(settings, events, opened_events):
    """The notifications the events (and those that waited for their contacts) ask for;
    none for a repeated delivery or one that must wait for its dossier's contact."""
    rows, took_waiting = [], set()
    for (envelope, data), opened in zip(events, opened_events, strict=True):
        bind_envelope(envelope)
        code = data["code"]
        to_send = [(envelope, message_of(envelope, data))] if opened["contact"] else []
        if opened.get("waiting") and code not in took_waiting:  # taken once per dossier
            took_waiting.add(code)
            to_send += [(waiting, waiting_message(waiting)) for waiting in opened["waiting"]]
        if not opened["first_delivery"]:
            log.info("duplicate delivery ignored", extra={"dossier_code": code})
        elif not to_send:
            log.info("event waits for the dossier's contact",
                     extra={"dossier_code": code, "event_type": envelope["type"]})
        else:
            rows += [row for event, message in to_send
                     for row in notifications(settings, event, code, message, opened["contact"],
                                              opened["opted_out"])]
    return rows


def message_of(envelope, data):
    return messages.EVENTS[envelope["type"]].build(data)


def waiting_message(envelope):
    """The message of an event that waited for its dossier's contact (its data was checked
    when it was first delivered, and is read again the same way)."""
    reading = messages.EVENTS[envelope["type"]]
    return reading.build(validate_data(reading.contract, envelope, reading.fields))


def notifications(settings, envelope, code, message, contact, opted_out):
    """The event's notifications to the dossier's contact, rendered, one per channel it has an
    address for: `opted_out` where the address opted out of the channel."""
    template = settings.templates[message.template]
    context = {"center": settings.center, "full_name": contact["full_name"],
               "evaluation_url": settings.evaluation_url.replace("{code}", code),
               **opened(message.context, settings.notify_secret_key)}
    when = earliest_send(now(), settings.quiet_hours, template.urgent)
    rows = []
    for channel in CHANNELS:
        recipient = contact["phone" if channel == "sms" else "email"]
        if not recipient:
            continue
        rows.append({
            "event_id": envelope["id"], "event_type": envelope["type"], "dossier_code": code,
            "correlation_id": envelope["correlation_id"], "channel": channel,
            "template": message.template, "recipient": recipient,
            "content": rendered(template, channel, context, settings.policy),
            "urgent": template.urgent, "next_attempt_at": when,
            "status": "opted_out" if channel in opted_out else "pending",
        })
    return rows


def opened(context, key):
    """The message's context with its sealed values decrypted, to be rendered; an event whose
    secret was not sealed with notify's key can never be rendered, and is dead-lettered (to
    be replayed once NOTIFY_SECRET_KEY is the one intake uses)."""
    try:
        return {name: lookup.unseal(key, value.token) if isinstance(value, messages.Sealed)
                else value for name, value in context.items()}
    except ValueError as exc:
        raise PoisonMessage(str(exc)) from exc


def rendered(template, channel, context, policy):
    """The content of a message on a channel; one that cannot be rendered (an SMS over the
    segment limit) can never be sent, and its event is dead-lettered."""
    try:
        return (template.render_sms(context, policy) if channel == "sms"
                else template.render_email(context))
    except RenderError as exc:
        UNRENDERABLE.labels(template.name).inc()
        raise PoisonMessage(f"template {template.name}: {exc}") from exc
