# marshmallow's messages in Vietnamese before any schema of any service is declared.
from . import messages  # noqa: F401
