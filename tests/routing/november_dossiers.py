"""Fixture dossiers with known dates, in two lĩnh vực of two agencies (and one dossier received
without a lĩnh vực), written into routing's table as routing keeps them, and the Biểu 06
figures of November 2026 they were built to give (judged on any day after November)."""
from tests.routing.lifecycle_helpers import at

HT = ("HT", "Hộ tịch")
XD = ("XD", "Hoạt động xây dựng")
NONE = (None, None)


def dossier(cur, code, department, sector, channel, received, due, status, **stamps):
    """A dossier as routing keeps it, with `stamps` (resolved_at, refused_at, withdrawn_at,
    closed_at, returned_at) given as 'YYYY-MM-DD' days at 16:00."""
    cur.execute(
        """INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department,
               sector_code, sector_name, channel, status, received_at, due_date,
               legal_due_date, result_delivery, lookup_proof, phone_hash, resolved_at,
               refused_at, withdrawn_at, closed_at, returned_at)
           VALUES (%(code)s, 'p', 'p', %(department)s, %(sector_code)s, %(sector_name)s,
               %(channel)s, %(status)s, %(received_at)s, %(due)s, %(due)s, 'counter', 'h',
               'h', %(resolved_at)s, %(refused_at)s, %(withdrawn_at)s, %(closed_at)s,
               %(returned_at)s)""",
        {"code": code, "department": department, "sector_code": sector[0],
         "sector_name": sector[1], "channel": channel, "status": status,
         "received_at": at(received), "due": due,
         **{stamp: at(stamps[stamp], 16) if stamp in stamps else None
            for stamp in ("resolved_at", "refused_at", "withdrawn_at", "closed_at",
                          "returned_at")}})


def supplement(cur, code, requested, resubmitted=None):
    cur.execute(
        """INSERT INTO routing.supplements (dossier_code, documents, reason, requested_at,
               requested_by, resubmitted_at, complete_by)
           VALUES (%s, '[{"name": "Bản vẽ"}]', 'thiếu bản vẽ', %s, 'chuyenvien.sxd.01', %s,
               %s::date + 15)""",
        (code, at(requested), at(resubmitted) if resubmitted else None, requested))


def insert_november(cur):
    # Hộ tịch of stp
    dossier(cur, "h1", "stp", HT, "online", "2026-11-02", "2026-11-10", "result_ready",
            resolved_at="2026-11-06")                                  # early
    dossier(cur, "h2", "stp", HT, "counter", "2026-11-03", "2026-11-10", "result_ready",
            resolved_at="2026-11-10")                                  # on time
    dossier(cur, "h3", "stp", HT, "postal", "2026-11-04", "2026-11-10", "refused",
            refused_at="2026-11-12")                                   # late, refused
    dossier(cur, "h4", "stp", HT, "counter", "2026-10-20", "2026-11-05", "returned",
            resolved_at="2026-11-09", returned_at="2026-11-10")        # carried over, late
    dossier(cur, "h5", "stp", HT, "counter", "2026-11-20", "2026-12-04", "processing")
    dossier(cur, "h6", "stp", HT, "online", "2026-11-24", "2026-11-27", "processing")
    # Hoạt động xây dựng of sxd
    dossier(cur, "x1", "sxd", XD, "counter", "2026-10-26", "2026-11-20", "processing")
    dossier(cur, "x2", "sxd", XD, "online", "2026-11-16", "2026-11-25",
            "supplement_requested")
    supplement(cur, "x2", "2026-11-18")                                # awaited on 30/11
    dossier(cur, "x3", "sxd", XD, "counter", "2026-11-23", "2026-11-30", "withdrawn",
            withdrawn_at="2026-11-24")
    dossier(cur, "x4", "sxd", XD, "counter", "2026-11-02", "2026-11-06", "returned",
            resolved_at="2026-11-06", returned_at="2026-11-09")        # on time
    # the complete dossier came on 12/11 and restarted the period: due 16/11
    dossier(cur, "x5", "sxd", XD, "postal", "2026-11-09", "2026-11-16", "result_ready",
            resolved_at="2026-11-17")                                  # late
    supplement(cur, "x5", "2026-11-10", "2026-11-12")
    dossier(cur, "x6", "sxd", XD, "counter", "2026-10-27", "2026-11-03", "closed",
            closed_at="2026-11-14")                                    # carried, closed
    supplement(cur, "x6", "2026-10-28")
    dossier(cur, "n1", "sxd", NONE, "counter", "2026-11-10", "2026-11-17", "result_ready",
            resolved_at="2026-11-17")                                  # on time
    # outside November
    dossier(cur, "e1", "stp", HT, "counter", "2026-10-01", "2026-10-10", "returned",
            resolved_at="2026-10-08", returned_at="2026-11-03")
    dossier(cur, "e2", "sxd", XD, "counter", "2026-12-01", "2026-12-03", "processing")
    dossier(cur, "e3", "stp", HT, "counter", "2026-10-05", "2026-10-20", "withdrawn",
            withdrawn_at="2026-10-30")
    dossier(cur, "e4", "stp", HT, "counter", "2026-12-02", "2026-12-20", "processing")


def figures(online, direct, carried, early, on_time, late, within, overdue, stopped):
    return {"received": {"total": online + direct + carried, "online": online,
                         "direct_and_postal": direct, "carried_over": carried},
            "resolved": {"total": early + on_time + late, "early": early, "on_time": on_time,
                         "late": late},
            "pending": {"total": within + overdue, "within_time": within, "overdue": overdue},
            "withdrawn_or_closed": stopped}


HOTICH = figures(online=2, direct=3, carried=1, early=1, on_time=1, late=2, within=1,
                 overdue=1, stopped=0)
XAYDUNG = figures(online=1, direct=3, carried=2, early=0, on_time=1, late=1, within=1,
                  overdue=1, stopped=2)
UNKNOWN = figures(online=0, direct=1, carried=0, early=0, on_time=1, late=0, within=0,
                  overdue=0, stopped=0)
SXD = figures(online=1, direct=4, carried=2, early=0, on_time=2, late=1, within=1, overdue=1,
              stopped=2)
TOTAL = figures(online=3, direct=7, carried=3, early=1, on_time=3, late=3, within=2, overdue=2,
                stopped=2)
