"""An uploaded file as a request brings it: streamed to a spool file on disk, never whole in
memory, within the size limit (413 beyond, counted as it comes, whatever Content-Length
says). The spool file disappears when the upload is closed."""
import tempfile

from services.common.http import too_large

CHUNK = 64 * 1024


class Upload:
    """`file` (positioned at its start) and `size`; a context manager that removes it."""

    def __init__(self, file, size):
        self.file, self.size = file, size

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()


def spooled(request, max_bytes, spool_dir):
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large("Tệp gửi lên", max_bytes)
    handle = tempfile.TemporaryFile(dir=spool_dir, prefix="docstore-")
    size = 0
    try:
        while chunk := request.stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise too_large("Tệp gửi lên", max_bytes)
            handle.write(chunk)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return Upload(handle, size)
