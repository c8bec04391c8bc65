"""What payment's HTTP entrypoints need beyond what `@api` loads: the statement file, which
comes as the raw request body (CSV, not JSON), read within its limits."""

from services.common.http import ApiError, read_upload
from services.common.uploads import one_line_end

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
MAX_STATEMENT_LINES = 100_000  # under the header


def statement_file(request):
    """The uploaded statement's bytes (services.common.http.read_upload: 413 over
    MAX_STATEMENT_BYTES, 422 when empty); 413 over MAX_STATEMENT_LINES lines."""
    raw = read_upload(request, MAX_STATEMENT_BYTES)
    lines = sum(1 for line in one_line_end(raw).split(b"\n") if line)
    if lines - 1 > MAX_STATEMENT_LINES:
        raise ApiError(413, "statement_too_large",
                       f"Sao kê quá dài: tối đa {MAX_STATEMENT_LINES} dòng một tệp.")
    return raw

