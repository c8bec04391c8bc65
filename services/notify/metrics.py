"""notify's metrics (docs/metrics.md)."""
from prometheus_client import Counter, Histogram

NOTIFICATIONS = Counter(
    "motcua_notifications_total", "Notifications by final status",
    ["channel", "template", "status"],
)
GATEWAY_LATENCY = Histogram(
    "motcua_notify_gateway_seconds", "Time a gateway took to accept or refuse a message",
    ["channel", "provider", "outcome"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SEND_RETRIES = Counter("motcua_notify_send_retries_total", "Sends to retry later", ["channel"])
IN_DOUBT = Counter(
    "motcua_notify_outcome_unknown_total", "Attempts whose outcome was not recorded, by stage: "
    "unknown (the answer or the sender was lost), settled (the gateway's report came), resent "
    "(no report within the acceptance window)", ["channel", "stage"],
)
UNRENDERABLE = Counter(
    "motcua_notify_unrenderable_total", "Events dead-lettered because their message cannot be "
    "rendered", ["template"],
)
