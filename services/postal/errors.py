"""postal's domain errors: the kernel's (services.common.errors), named for postal's cases."""
from services.common.errors import Conflict, Invalid, NotAllowed, NotFound, Unanswered, Unavailable


class NoDelegation(NotAllowed):
    """The post office holds no active delegation for the procedure's department."""

    code = "no_delegation"


class NotDelegatedOffice(Invalid):
    """A citizen chose a post office that does not receive for the procedure's department."""

    code = "no_delegation"


class IntakeUnavailable(Unavailable):
    """intake cannot be reached (or did not answer a catalogue question): nothing was done."""

    code = "intake_unavailable"


class IntakeUnanswered(Unanswered):
    """intake did not answer a registration in time: the dossier may have been registered."""

    code = "intake_timeout"


class UnknownShipment(NotFound):
    """No such shipment (for this post office)."""


class TrackingRefused(Conflict):
    """A tracking event that cannot follow the shipment's status; raised so that its
    transaction records nothing."""


def unknown_post_office(code):
    return Invalid("Bưu điện không có trong danh sách.", "post_office",
                   {"post_office": [f"Không có bưu điện {code}."]})
