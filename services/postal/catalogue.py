"""intake's procedure catalogue as postal needs it: which department decides a procedure.

intake offers no RPC for one procedure, so postal reads intake's public catalogue endpoint
(GET /api/v1/procedures[/<code>]); answers are kept a few minutes, as the catalogue changes
rarely and a reception must not wait on it."""
import time
from urllib.parse import quote

import requests
from nameko.extensions import DependencyProvider

from services.common.http import ApiError

CACHE_SECONDS = 300
TIMEOUT_SECONDS = 5


def intake_url(config):
    if config.get("INTAKE_URL"):
        return config["INTAKE_URL"].rstrip("/")
    host, _, port = config.get("INTAKE_HTTP", "127.0.0.1:8001").rpartition(":")
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"


class IntakeCatalogue(DependencyProvider):
    """Injects an object with `procedure(code)` and `procedures(department)`. Config:
    INTAKE_URL, else INTAKE_HTTP (the address intake listens on, as the Procfile stack sets it)."""

    def setup(self):
        self.base = intake_url(self.container.config)
        self.cache = {}
        self.session = requests.Session()

    def get_dependency(self, worker_ctx):
        return self

    def procedure(self, code):
        """The procedure (with its `department`), or None when intake does not know it."""
        return self._get(f"/api/v1/procedures/{quote(code, safe='')}")

    def procedures(self, department):
        found = self._get(f"/api/v1/procedures?department={quote(department, safe='')}")
        return found["procedures"] if found else []

    def _get(self, path):
        cached = self.cache.get(path)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = self.session.get(self.base + path, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise ApiError(503, "intake_unavailable",
                           "the procedure catalogue (intake) cannot be reached; try again") from exc
        if response.status_code == 404:
            return None  # not cached: a procedure added to the catalogue is found at once
        if not response.ok:
            raise ApiError(503, "intake_unavailable",
                           f"the procedure catalogue (intake) answered {response.status_code}")
        found = response.json()
        self.cache[path] = (time.monotonic() + CACHE_SECONDS, found)
        return found
