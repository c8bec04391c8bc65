"""Digitisation by agency and month (Decree 118/2025 art. 32(1)(c); Decision 766/QĐ-TTg):
the share of dossiers received with their documents digitised, of documents reused instead
of scanned again, and of dossiers whose result was issued electronically."""
from datetime import datetime

from services.common.events import TIMEZONE

from . import store


def _month_start(text):
    year, month = map(int, text.split("-"))
    return datetime(year, month, 1, tzinfo=TIMEZONE)


def _next_month(day):
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def of_months(cur, month_from, month_to):
    rows = store.monthly_shares(cur, _month_start(month_from),
                                _next_month(_month_start(month_to)))
    return {"from": month_from, "to": month_to, "agencies": [{
        **row,
        "digitised_share": _share(row["dossiers_digitised"], row["dossiers"]),
        "reused_share": _share(row["documents_reused"], row["documents"]),
        "results_electronic_share": _share(row["results_electronic"], row["dossiers"]),
    } for row in rows]}


def this_month(cur):
    month = datetime.now(TIMEZONE).strftime("%Y-%m")
    return of_months(cur, month, month)
