"""What routing does with the events it consumes from payment and postal, each in the
transaction the kernel opened for it (dossier.received: assignment.assign)."""
from services.common.consumer import PoisonMessage

from . import actions, store
from .lifecycle import InvalidTransition

# What routing reads of each event (the kernel checks just these).
PAYMENT_SETTLED_FIELDS = ("code", "kind", "settled_at")
POSTAL_DELIVERED_FIELDS = ("code", "delivered_at")


def payment_settled(cur, envelope, data):
    """A fee paid: a result held until paid becomes releasable."""
    if data["kind"] != "fee":
        return  # a postal charge does not hold the result
    actions.fees_paid(cur, known_dossier(cur, data["code"]), data["settled_at"],
                      envelope["correlation_id"])


def postal_delivered(cur, envelope, data):
    """The result reached the applicant by post: the dossier is returned."""
    try:
        actions.postal_delivered(cur, known_dossier(cur, data["code"]), data["delivered_at"],
                                 envelope["correlation_id"])
    except InvalidTransition as exc:
        raise PoisonMessage(exc.message) from exc


def known_dossier(cur, code):
    """The dossier, locked; LookupError (retried with backoff) while routing does not know
    it: its dossier.received may still be on its way."""
    dossier = store.get_dossier(cur, code, lock=True)
    if dossier is None:
        raise LookupError(f"dossier {code} not known to routing yet")
    return dossier
