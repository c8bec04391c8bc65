"""docstore's gauges, read from the database at each scrape (every replica sees the same):
the documents by kind and status, and this month's digitisation shares per agency."""
from prometheus_client import Gauge

DOCUMENTS = Gauge("motcua_docstore_documents", "Documents by kind and status",
                  ["kind", "status"])
DIGITISED = Gauge("motcua_docstore_dossiers_digitised_ratio",
                  "This month's dossiers received with their documents digitised, by agency",
                  ["department"])
REUSED = Gauge("motcua_docstore_documents_reused_ratio",
               "This month's documents reused instead of scanned again, by agency",
               ["department"])
ELECTRONIC = Gauge("motcua_docstore_results_electronic_ratio",
                   "This month's dossiers whose result was issued electronically, by agency",
                   ["department"])
SHARES = ((DIGITISED, "digitised_share"), (REUSED, "reused_share"),
          (ELECTRONIC, "results_electronic_share"))


def refresh(counts, month_report):
    DOCUMENTS.clear()
    for row in counts:
        DOCUMENTS.labels(row["kind"], row["status"]).set(row["n"])
    for gauge, _ in SHARES:
        gauge.clear()
    for row in month_report["agencies"]:
        for gauge, key in SHARES:
            if row[key] is not None:
                gauge.labels(row["department"]).set(row[key])
