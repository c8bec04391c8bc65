"""A file's type from its first bytes (never from its name or the type the client claims),
against the allow-list of what may be digitised: PDF, JPEG, PNG, TIFF."""

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
# enough bytes for every signature above
HEAD_BYTES = 8
ALLOWED = ("PDF", "JPEG", "PNG", "TIFF")


def media_type(head):
    """The media type of a file starting with `head`, or None when it is not allowed."""
    for magic, found in SIGNATURES:
        if head.startswith(magic):
            return found
    return None
