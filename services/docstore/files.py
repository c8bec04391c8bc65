"""Serving a signed document's bytes safely, its page thumbnails and its verification: an
inline PDF is sandboxed (Content-Security-Policy: sandbox) and never sniffed as anything
else; a download is an attachment named by the document's id, never by a person."""
from pathlib import Path

from werkzeug.wrappers import Response

from . import errors, pdfa, verification

SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                "Content-Security-Policy": "sandbox; default-src 'none'",
                "Cross-Origin-Resource-Policy": "same-origin"}


def pdf_response(row, data, inline):
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf", headers={
        **SAFE_HEADERS, "Content-Disposition": f'{disposition}; filename="{row["id"]}.pdf"'})


def thumbnail_response(data, page, dpi):
    png = pdfa.thumbnail(data, page, dpi)
    if png is None:
        raise errors.UnknownDocument("Tài liệu không có trang này.")
    return Response(png, mimetype="image/png", headers=SAFE_HEADERS)


def trust_roots(settings):
    if settings.trust_roots:
        return [path.strip() for path in settings.trust_roots.split(",") if path.strip()]
    return [str(Path(settings.local_key_dir) / "root.cert.pem")]


def verified(data, settings):
    return verification.verify_in_process(data, trust_roots(settings))
