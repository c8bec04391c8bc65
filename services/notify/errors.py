"""notify's domain errors (services.common.errors maps them to HTTP statuses)."""
from services.common.errors import NotAllowed, NotFound


class NoNotifications(NotFound):
    """notify has recorded nothing about this dossier (it never saw its dossier.received)."""


class OtherDepartment(NotAllowed):
    """The dossier belongs to another department than the officer's."""


class UnknownNotification(NotFound):
    """A delivery report of a notification notify does not have."""


class UnknownReportSecret(NotAllowed):
    """A delivery report whose URL does not carry the secret notify gave the gateway."""
