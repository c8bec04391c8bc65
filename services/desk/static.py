"""The desk's own static files (CSS, the vendored htmx), served with long caching: their
names change with their content (htmx's carries its version)."""
from pathlib import Path

from werkzeug.wrappers import Response

from .web import PageError

STATIC_DIR = Path(__file__).with_name("static")
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# htmx 2.0.4 as published on npm (htmx.org, dist/htmx.min.js); checked by the tests
HTMX = "htmx-2.0.4.min.js"
HTMX_SHA256 = "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447"
FILES = {path.name: path for path in STATIC_DIR.iterdir() if path.suffix in TYPES}


def static_file(name):
    path = FILES.get(name)
    if path is None:
        raise PageError(404, "Không có tệp này.", "Không tìm thấy")
    return Response(path.read_bytes(), mimetype=TYPES[path.suffix].split(";")[0],
                    headers={"Cache-Control": "public, max-age=86400"})
