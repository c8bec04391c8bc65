"""The exactly-once audit: what was accepted (every 201) against what exists downstream.

A dossier is lost when it never reached its department queue or was never routed; it is
duplicated when two different events (envelope ids) reached the queue for it, or routing
assigned it twice. Copies of one envelope id (the broker's at-least-once redelivery after a
relay died between the confirm and marking its row) are counted apart as `redelivered`: a
department recognises them by the envelope id.
"""
import collections
from dataclasses import dataclass, field

import pika

from services.common.consumer import DEAD_LETTER_QUEUE
from tests.conftest import drain, query, wait_for


@dataclass
class Audit:
    accepted: int
    lost: list = field(default_factory=list)
    duplicated: dict = field(default_factory=dict)
    redelivered: int = 0
    dead_letters: int = 0


def compare(accepted, arrived, routed, dead_letters):
    codes = [a["code"] for a in accepted]
    lost = sorted(c for c in codes if not arrived.get(c) or not routed.get(c))
    duplicated = {c: ids for c, ids in arrived.items() if len(set(ids)) > 1}
    duplicated.update({c: ["assigned"] * n for c, n in routed.items() if n > 1})
    redelivered = sum(len(ids) - len(set(ids)) for ids in arrived.values())
    return Audit(len(codes), lost, duplicated, redelivered, dead_letters)


def line(result, faults):
    return (f"accepted={result.accepted} lost={len(result.lost)} "
            f"duplicated={len(result.duplicated)} faults={faults}")


def run(accepted, amqp_uri, conn, timeout=180):
    wanted = {a["code"] for a in accepted}
    departments = sorted({a["department"] for a in accepted})
    arrived = collections.defaultdict(list)

    def everything_arrived():
        for department in departments:
            for _, message in drain(amqp_uri, f"department.{department}", wait=0.1):
                arrived[message["dossier_code"]].append(message["id"])
        return wanted <= set(arrived)

    try:
        wait_for(everything_arrived, timeout=timeout, interval=0.5)
    except AssertionError:
        pass  # what is missing is reported as lost
    conn.autocommit = True
    routed = {row["dossier_code"]: row["n"] for row in query(
        conn, "SELECT dossier_code, count(*) AS n FROM routing.history"
              " WHERE status = 'assigned' GROUP BY dossier_code")}
    return compare(accepted, arrived, routed, dead_letter_count(amqp_uri))


def dead_letter_count(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return connection.channel().queue_declare(DEAD_LETTER_QUEUE, durable=True,
                                                  passive=True).method.message_count
    finally:
        connection.close()
