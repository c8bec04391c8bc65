"""Rate limits per client: a token bucket per key, in the process.

Each instance keeps its own buckets, so N instances behind a load balancer allow up to N
times the rate; the limits are there to stop one client from flooding a service with
dossiers (a runaway integration, a script), not to meter exact quotas. A limit applies where
a service calls it: intake's submissions, per counter officer and per citizen ID. Routing's
lookups with a secret are not limited. A limit is a setting
`RATE_LIMIT_<NAME>: "<requests>/<seconds>"`; "0/1" turns it off.
"""
import hashlib
import math
import re
import time

from nameko.extensions import DependencyProvider

from .http import ApiError

MAX_KEYS = 100_000  # beyond this, buckets that have refilled are forgotten


def parse_limit(text):
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match or int(match.group(2)) == 0:
        raise ValueError(f"rate limit {text!r} must look like '<requests>/<seconds>', e.g. 60/60")
    return int(match.group(1)), int(match.group(2))


class TokenBucket:
    def __init__(self, requests, seconds, clock=time.monotonic):
        self.capacity, self.per_second = requests, requests / seconds
        self.clock = clock
        self.buckets = {}

    def take(self, key):
        """0 when allowed, else the seconds to wait before the next request is allowed."""
        if self.capacity == 0:
            return 0
        now = self.clock()
        tokens, last = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return math.ceil((1 - tokens) / self.per_second)
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > MAX_KEYS:
            self._forget_full(now)
        return 0

    def _forget_full(self, now):
        for key, (tokens, last) in list(self.buckets.items()):
            if tokens + (now - last) * self.per_second >= self.capacity:
                del self.buckets[key]


def client_key(*parts):
    """A bucket key that does not keep personal data (a citizen ID) in memory in clear."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


class RateLimits(DependencyProvider):
    """`self.rate_limit(name, *key_parts)` raises a 429 with Retry-After when over the limit
    named `RATE_LIMIT_<NAME>` in the service's config."""

    def __init__(self, **defaults):
        self.defaults = defaults

    def setup(self):
        config = self.container.config
        self.buckets = {
            name: TokenBucket(*parse_limit(config.get(f"RATE_LIMIT_{name.upper()}", default)))
            for name, default in self.defaults.items()
        }

    def get_dependency(self, worker_ctx):
        def rate_limit(name, *key_parts):
            wait = self.buckets[name].take(client_key(*key_parts))
            if wait:
                raise ApiError(429, "rate_limited",
                               f"Gửi quá nhiều yêu cầu trong thời gian ngắn; xin thử lại sau "
                               f"{wait} giây.",
                               headers={"Retry-After": str(wait)})

        return rate_limit
