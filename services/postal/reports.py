"""The manager's postal report: receptions and deliveries by post office, department and
month, delivery success rate and time, and postal fees billed."""
from datetime import datetime

from services.common.errors import Invalid
from services.common.events import TIMEZONE

from . import store


def next_month(moment):
    if moment.month == 12:
        return moment.replace(year=moment.year + 1, month=1)
    return moment.replace(month=moment.month + 1)


def month_start(month):
    """The first moment of a "YYYY-MM" month, local time."""
    return datetime.fromisoformat(month + "-01").replace(tzinfo=TIMEZONE)


def of_months(cur, month_from, month_to):
    """The report of the months from `month_from` to `month_to` ("YYYY-MM"), both included."""
    first, last = month_start(month_from), month_start(month_to)
    if last < first:
        raise Invalid("Kỳ báo cáo bị ngược.", "to", {"to": ["Tháng cuối không được trước tháng đầu."]})
    return build(cur, first, next_month(last))


def build(cur, start, end):
    deliveries = store.deliveries_report(cur, start, end)
    pickups = store.pickup_fees_report(cur, start, end)
    delivered = sum(row["delivered"] for row in deliveries)
    finished = delivered + sum(row["returned"] for row in deliveries)
    hours = [(row["mean_delivery_hours"], row["delivered"]) for row in deliveries
             if row["delivered"]]
    return {
        "from": start.date().isoformat(),
        "until": end.date().isoformat(),
        "receptions": store.receptions_report(cur, start, end),
        "deliveries": deliveries,
        "pickups": pickups,
        "totals": {
            "shipments": sum(row["shipments"] for row in deliveries),
            "delivered": delivered,
            # of the shipments that reached an end: delivered, or returned to the center
            "success_rate": round(delivered / finished, 3) if finished else None,
            "mean_delivery_hours": round(sum(h * n for h, n in hours) / delivered, 1)
            if delivered else None,
            "postal_fees_vnd": sum(row["shipment_fees"] for row in deliveries)
            + sum(row["pickup_fees"] for row in pickups),
        },
        "generated_at": datetime.now(start.tzinfo).isoformat(),
    }
