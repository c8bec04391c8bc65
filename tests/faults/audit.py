"""The exactly-once audit: what was accepted (every 201) against what exists downstream.

For every accepted dossier it checks, each separately:
- `department queue`: the `dossier.assigned` message routing sent to the lead department,
  counted by distinct envelope id (copies of one id, the broker's at-least-once redelivery after a relay died
  between the confirm and marking its row, are counted apart as `redelivered`: a department
  recognises them by the id);
- `other department messages`: any other message on the department queue (a same-day
  dossier's `dossier.due_soon`, say) at most once per dossier and type, by distinct id;
- `routed`: routing assigned it once (its `assigned` history entries);
- `receipt sms`: notify recorded one receipt SMS; when a gateway is in the test, the fake
  SMSC got exactly one receipt carrying the code (`receipt sms delivered`: the citizen's
  phone shows it once), and Kannel was handed at least one (`receipt sms sent`: accepted,
  or its answer lost). A receipt handed over twice is counted apart (`sent_twice`), not as
  a duplicate: notify sends again an SMS whose answer was lost and for which no report
  came, which is right when the first never reached the SMSC (Kannel stopped with it) and
  shows as `delivered twice` when it did;
- `bill`: payment opened one fee bill when the procedure has a fee or charge, none otherwise.
A dossier missing from any check is lost; one found twice in any check is duplicated.
The audit waits until everything shows, or until nothing has changed for STALL_SECONDS.
"""
import collections
import time
from dataclasses import dataclass, field

import eventlet
import pika

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.identifiers import DOSSIER_CODE
from tests.conftest import CATALOGUE, drain, query

STALL_SECONDS = 90
SENT, DELIVERED = "receipt sms sent", "receipt sms delivered"
ASSIGNED = "dossier.assigned"


@dataclass
class Audit:
    accepted: int
    lost: dict = field(default_factory=dict)  # check -> codes missing
    duplicated: dict = field(default_factory=dict)  # check -> {code: count}
    sent_twice: dict = field(default_factory=dict)  # code -> times handed to the gateway
    redelivered: int = 0
    dead_letters: int = 0
    arrived: dict = field(default_factory=dict)  # code -> envelope ids on department queues

    @property
    def lost_codes(self):
        return sorted({code for codes in self.lost.values() for code in codes})

    @property
    def duplicated_codes(self):
        return sorted({code for found in self.duplicated.values() for code in found})


def check(expected, counts):
    """(missing codes, {code: count} found more than once) of one check."""
    return (sorted(c for c in expected if not counts.get(c)),
            {c: n for c, n in counts.items() if n > 1})


def compare(checks, accepted_count, redelivered=0, dead_letters=0):
    """checks: {name: (codes expected once, {code: times found})}; a code handed to the SMS
    gateway more than once (SENT) is `sent_twice`, not duplicated."""
    result = Audit(accepted_count, redelivered=redelivered, dead_letters=dead_letters)
    for name, (expected, counts) in checks.items():
        lost, duplicated = check(expected, counts)
        if lost:
            result.lost[name] = lost
        if duplicated and name == SENT:
            result.sent_twice = duplicated
        elif duplicated:
            result.duplicated[name] = duplicated
    return result


def line(result, faults):
    return (f"accepted={result.accepted} lost={len(result.lost_codes)} "
            f"duplicated={len(result.duplicated_codes)} faults={faults}")


def sms_line(result):
    """How many receipt SMS went twice to the gateway, and how many reached the SMSC twice."""
    return (f"receipt sms sent twice={len(result.sent_twice)} "
            f"delivered twice={len(result.duplicated.get(DELIVERED, {}))}")


def details(result):
    parts = [f"{name}: {len(codes)} lost" for name, codes in result.lost.items()]
    parts += [f"{name}: {len(found)} duplicated" for name, found in result.duplicated.items()]
    parts.append(f"redelivered copies (same envelope id) {result.redelivered}")
    parts.append(f"dead letters {result.dead_letters}")
    return "; ".join(parts)


def has_fee(entry):
    procedure = CATALOGUE["procedures"][entry["procedure_code"]]
    return procedure["fee"] + procedure["charge"] > 0


def counts(conn, sql):
    return {row["code"]: row["n"] for row in query(conn, sql)}


def run(accepted, amqp_uri, conn, sms_sent=None, sms_received=None, stall=STALL_SECONDS):
    """Wait until everything accepted shows downstream (or nothing changed for `stall`
    seconds), then compare. When a gateway is in the test, `sms_sent()` returns the texts
    handed to it and `sms_received()` those its SMSC got, [(to, text)]."""
    codes = {a["code"] for a in accepted}
    billed = {a["code"] for a in accepted if has_fee(a)}
    departments = sorted({a["department"] for a in accepted})
    arrived = collections.defaultdict(list)
    others = collections.defaultdict(set)  # (code, type) -> envelope ids
    conn.autocommit = True

    def downstream():
        for department in departments:
            for _, message in drain(amqp_uri, f"department.{department}", wait=0.1):
                if message["type"] == ASSIGNED:
                    arrived[message["dossier_code"]].append(message["id"])
                else:
                    others[message["dossier_code"], message["type"]].add(message["id"])
        now = {
            "routed": counts(conn, "SELECT dossier_code AS code, count(*) AS n FROM routing.history"
                                   " WHERE status = 'assigned' GROUP BY 1"),
            "receipt sms recorded": counts(
                conn, "SELECT dossier_code AS code, count(*) AS n FROM notify.notifications"
                      " WHERE template = 'receipt' AND channel = 'sms' GROUP BY 1"),
            "bill": counts(conn, "SELECT dossier_code AS code, count(*) AS n FROM payment.bills"
                                 " WHERE kind = 'fee' GROUP BY 1"),
        }
        if sms_sent is not None:
            now[SENT] = texts_by_code(sms_sent(), codes)
        if sms_received is not None:
            now[DELIVERED] = texts_by_code(sms_received(), codes)
        return now

    found = {}

    def complete():
        found.update(downstream())
        return (codes <= set(arrived) and all(
            (billed if name == "bill" else codes) <= set(counted)
            for name, counted in found.items()))

    wait_while_progressing(complete, lambda: (sum(map(len, arrived.values())), repr(found)),
                           stall)  # what is still missing then is reported as lost
    checks = {"department queue": (codes, {c: len(set(ids)) for c, ids in arrived.items()})}
    for name, counted in found.items():
        checks[name] = (billed if name == "bill" else codes, counted)
    most = collections.Counter()
    for (code, _), ids in others.items():
        most[code] = max(most[code], len(ids))
    checks["other department messages"] = (set(), dict(most))
    unbilled = {c: n for c, n in found["bill"].items() if c not in billed}
    checks["no bill without a fee"] = (set(), {c: n + 1 for c, n in unbilled.items()})
    redelivered = sum(len(ids) - len(set(ids)) for ids in arrived.values())
    result = compare(checks, len(codes), redelivered, dead_letter_count(amqp_uri))
    result.arrived = dict(arrived)
    return result


def wait_while_progressing(done, progress, stall):
    """Until done(), or until progress() has not changed for `stall` seconds."""
    last, changed_at = None, time.monotonic()
    while not done():
        now = progress()
        if now != last:
            last, changed_at = now, time.monotonic()
        elif time.monotonic() - changed_at > stall:
            return
        eventlet.sleep(1)




RECEIPT_WORDS = "đã được tiếp nhận"  # what notify's receipt template says (templates/receipt.yml)


def texts_by_code(texts, codes):
    """How many receipt texts carry each code (other messages, e.g. fees, are not counted)."""
    found = collections.Counter()
    for _, text in texts:
        if RECEIPT_WORDS in text:
            found.update(set(DOSSIER_CODE.findall(text)) & codes)
    return dict(found)


def dead_letter_count(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return connection.channel().queue_declare(DEAD_LETTER_QUEUE, durable=True,
                                                  passive=True).method.message_count
    finally:
        connection.close()


# --- the national portal (the fake DVCQG) ---------------------------------------------------
MIN_STEPS = 2  # received, and assigned to the lead department


@dataclass
class PortalAudit:
    synced: int
    missing: list
    duplicated_steps: dict  # code -> progress rows the portal got more than once


def portal_compare(codes, received):
    """What the fake DVCQG holds (`received`: its GET /_control/received) against the
    accepted `codes`: each dossier there, with its steps, and no step twice."""
    dossiers, progress = received["dossiers"], received["progress"]
    missing = sorted(code for code in codes
                     if code not in dossiers or len(progress.get(code, [])) < MIN_STEPS)
    duplicated = {}
    for code in codes:
        steps = collections.Counter((row["ThoiDiemXuLy"], row["TrangThai"], row["NoiDungXuLy"])
                                    for row in progress.get(code, []))
        twice = sum(n - 1 for n in steps.values() if n > 1)
        if twice:
            duplicated[code] = twice
    return PortalAudit(len(codes) - len(missing), missing, duplicated)


def portal_run(accepted, received, stall=STALL_SECONDS):
    """Waits until DVCQG shows every accepted dossier with its steps (or nothing changed
    for `stall` seconds); `received()` reads the fake portal."""
    codes = {a["code"] for a in accepted}
    wait_while_progressing(lambda: not portal_compare(codes, received()).missing,
                           lambda: portal_compare(codes, received()).synced, stall)
    return portal_compare(codes, received())


def portal_line(result):
    return (f"synced={result.synced} missing={len(result.missing)} "
            f"duplicated_steps={sum(result.duplicated_steps.values())}")
