"""What payment refuses, as the kernel's domain errors (services.common.errors maps them to
HTTP statuses)."""
from services.common.errors import Conflict, Invalid, NotAllowed, NotFound


class NoSuchBill(NotFound):
    """No such bill, or not one the caller may see (the same answer, so nothing leaks)."""


class NoSuchReceipt(NotFound):
    pass


class NoReconciliation(NotFound):
    """No statement was imported for the day."""


class ChannelNotAllowed(NotAllowed):
    """The caller's role may not take payments on this channel."""


class NotPayable(Conflict):
    """The bill takes no more money: closed (`bill_closed`) or paid (`nothing_outstanding`)."""


class NoRefundDue(Conflict):
    def __init__(self, message, code="no_refund_due", fields=None):
        super().__init__(message, code, fields)


class DuplicateReference(Conflict):
    """A payment or refund with this channel and reference is recorded already."""

    def __init__(self, message, code="duplicate_reference", fields=None):
        super().__init__(message, code, fields)


class TooMuch(Invalid):
    """An amount over what is outstanding (payments) or due back (refunds)."""

    def __init__(self, message, field="amount", fields=None):
        super().__init__(message, field, fields)


class InvalidStatement(Invalid):
    """A statement file that cannot be imported, naming its lines (nothing was imported)."""
