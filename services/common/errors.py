"""Domain errors: what domain code raises when a request cannot be done, whatever the
entrypoint. The HTTP edge maps each to a status with one table (services.common.http); over
RPC they travel as themselves (registered with nameko), so a caller in another service
catches the same class instead of reading an {"error": ...} dict.

nameko sends an error's positional arguments and rebuilds it from them, by the exact class:
every error here is built from positional arguments only (trailing ones left out when None,
which nameko would send as the text "None"), and an error meant to cross an RPC is one of
these classes with its own `code`, not a service's subclass (which the caller cannot
import)."""
from nameko.exceptions import deserialize_to_instance

# What a 422 says above the fields it names (each field's own problem is under `fields`).
FIELDS_INVALID = "Một số trường còn thiếu hoặc không hợp lệ."


class DomainError(Exception):
    """Base: `message` is said to the caller, `code` names the error for programs (the
    class's own when not given); `fields` names the fields at fault."""

    code = "domain_error"
    # seconds after which trying again may succeed (HTTP Retry-After), when that is known
    retry_after = None

    def __init__(self, message, *args):
        args = list(args)
        while args and args[-1] is None:
            args.pop()
        super().__init__(message, *args)
        self.message = message

    @property
    def fields(self):
        return None


class CodedError(DomainError):
    def __init__(self, message, code=None):
        super().__init__(message, code)
        if code is not None:
            self.code = code


@deserialize_to_instance
class NotFound(CodedError):
    code = "not_found"


@deserialize_to_instance
class NotAllowed(CodedError):
    """The caller has no part in this (its role may do the action, not on this object);
    `fields`, when given, names the fields that point at what is not the caller's."""

    code = "forbidden"

    def __init__(self, message, code=None, fields=None):
        DomainError.__init__(self, message, code, fields)
        if code is not None:
            self.code = code
        self._fields = fields

    @property
    def fields(self):
        return self._fields


@deserialize_to_instance
class Conflict(DomainError):
    """The object's state does not allow it; `code` says which conflict."""

    def __init__(self, message, code="conflict", fields=None):
        super().__init__(message, code, fields)
        self.code = code
        self._fields = fields

    @property
    def fields(self):
        return self._fields


@deserialize_to_instance
class Invalid(DomainError):
    """Values the rules refuse, naming their fields: one `field` (the message is its
    problem), or `fields` ({"dotted.field": [problems]}, as a schema reports them)."""

    code = "validation_failed"

    def __init__(self, message, field="_body", fields=None):
        super().__init__(message, field, fields)
        self.field = field
        self._fields = fields

    @property
    def fields(self):
        return self._fields or {self.field: [self.message]}


@deserialize_to_instance
class Unavailable(CodedError):
    """Something this needs is not reachable now: the caller should try again shortly."""

    code = "unavailable"
    retry_after = 2


@deserialize_to_instance
class Unanswered(CodedError):
    """Another service did not answer in time: what was asked may or may not have been done."""

    code = "timeout"


# The one table from domain errors to HTTP statuses (most specific class first).
HTTP_STATUS = ((NotFound, 404), (NotAllowed, 403), (Conflict, 409), (Invalid, 422),
               (Unavailable, 503), (Unanswered, 504))


def http_status(error):
    for cls, status in HTTP_STATUS:
        if isinstance(error, cls):
            return status
    return 500
