"""Serving a signed document's bytes safely, its page thumbnails and its verification: an
inline PDF is sandboxed (Content-Security-Policy: sandbox) and never sniffed as anything
else; a download is an attachment named by the document's id, never by a person."""
import hashlib
from pathlib import Path

from cachetools import TTLCache
from werkzeug.wrappers import Response

from services.common.http import UPLOADED_FILE_HEADERS

from . import errors, pdfa, verification

# A stored file never changes and its signature's checks depend only on it and the trust
# roots, so a verification (a pyHanko child process of its own) is kept a few
# minutes: a dossier page opened again, or by a second officer, does not pay it again.
VERIFICATIONS = TTLCache(maxsize=2048, ttl=600)


def pdf_response(row, data, inline):
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf", headers={
        **UPLOADED_FILE_HEADERS,
        "Content-Disposition": f'{disposition}; filename="{row["id"]}.pdf"'})


def thumbnail_response(data, page, dpi):
    png = pdfa.thumbnail(data, page, dpi)
    if png is None:
        raise errors.UnknownDocument("Tài liệu không có trang này.")
    return Response(png, mimetype="image/png", headers=UPLOADED_FILE_HEADERS)


def trust_roots(settings):
    if settings.trust_roots:
        return [path.strip() for path in settings.trust_roots.split(",") if path.strip()]
    return [str(Path(settings.local_key_dir) / "root.cert.pem")]


def verified(data, settings):
    roots = trust_roots(settings)
    key = (hashlib.sha256(data).hexdigest(), tuple(roots))
    answer = VERIFICATIONS.get(key)
    if answer is None:
        answer = VERIFICATIONS[key] = verification.verify_in_process(data, roots)
    return answer
