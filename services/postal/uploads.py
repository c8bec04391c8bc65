"""The carrier's tracking file as a request brings it: a CSV or JSON file, not a JSON body
the kernel loads, so it is read here, within its own size limit (413 beyond), and a file
that cannot be read at all is a malformed request (400)."""
from services.common.http import ApiError, read_upload

from .tracking import UnreadableFile, read_rows

MAX_IMPORT_BYTES = 4 * 1024 * 1024


def uploaded_rows(request):
    """The rows of the uploaded carrier file (tracking.read_rows)."""
    try:
        return read_rows(read_upload(request, MAX_IMPORT_BYTES), request.content_type)
    except UnreadableFile as exc:
        raise ApiError(400, "unreadable_file", str(exc)) from exc
