"""No lookup secret at rest in the broker: real dossiers go through the running services (at
the counter, online, at a post office), then every queue of the virtual host (event queues,
department queues, retry queues, dead letters) and the event-log stream are read whole, and
no message holds a dossier's lookup secret, nor its unsalted hash (sha256 of `<code>:<secret>`,
what routing derived before: 40 bits, brute-forceable), nor the citizen ID unmasked.
Department messages hold nothing of the secret at all: neither routing's proof of it nor the
copy encrypted for notify."""
import hashlib
import json

import pika

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.topology import EVENT_LOG
from tests.conftest import dossier_body, query, wait_for
from tests.security.conftest import APPLICANT, expect, fee_procedure

READ_SECONDS = 2


def old_proof_hash(code, secret):
    """What routing stored and derived before dossier.received version 2."""
    return hashlib.sha256(f"{code}:{secret}".encode()).hexdigest()


def read_queue(channel, name):
    """Every message of a classic or quorum queue, left in it (never acked)."""
    bodies = []
    while True:
        method, _, body = channel.basic_get(name, auto_ack=False)
        if method is None:
            return bodies
        bodies.append(body.decode())


def read_stream(amqp_uri, name):
    """Every message of a stream from its first offset (a stream is read by a consumer with
    a prefetch, never by basic.get), on a connection of its own."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=100)
    bodies = []

    def take(ch, method, _, body):
        bodies.append(body.decode())
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(name, take, arguments={"x-stream-offset": "first"})
    seen = -1
    while seen != len(bodies):  # until a whole wait brings nothing new
        seen = len(bodies)
        connection.process_data_events(time_limit=READ_SECONDS)
    try:
        connection.close()
    except pika.exceptions.ConnectionClosedByBroker:
        # closing, pika rejects the deliveries that came after the read ended, which a stream
        # answers by closing the connection; what was read is read
        pass
    return bodies


def everything_in_the_broker(amqp_uri, rabbit_manager, vhost):
    """{queue name: [message bodies]} of every queue of the virtual host."""
    queues = {q["name"]: q.get("type") for q in rabbit_manager.get_queues(vhost)}
    assert EVENT_LOG in queues and DEAD_LETTER_QUEUE in queues
    streams = {name: read_stream(amqp_uri, name)
               for name, kind in queues.items() if kind == "stream"}
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return {**streams, **{name: read_queue(connection.channel(), name)
                              for name, kind in queues.items() if kind != "stream"}}
    finally:
        connection.close()


def kind_of(queue):
    if queue == EVENT_LOG:
        return "event log"
    if queue.startswith("department."):
        return "department"
    if queue == DEAD_LETTER_QUEUE:
        return "dead letters"
    return "retry" if queue.endswith(".retry") else "event queue"


def received_dossiers(world):
    """(code, secret) of dossiers received at the counter (world's), online and at a post
    office, each known to routing."""
    body = dossier_body(fee_procedure(), applicant=dict(APPLICANT))
    submission = expect(world.call("intake", "POST", "/api/v1/submissions", "portal",
                                   json=body), 201)
    online = expect(world.call("intake", "POST",
                               f"/api/v1/submissions/{submission['id']}/reception",
                               "counter_right"), 201)
    by_post = expect(world.call("postal", "POST", "/api/v1/receptions", "clerk_right",
                                json=body), 201)
    return [(world.ids["code"], world.ids["secret"]), (online["code"], online["lookup_secret"]),
            (by_post["code"], by_post["lookup_secret"])]


def test_no_lookup_secret_nor_its_hash_nor_a_citizen_id_in_any_queue_or_the_event_log(
        world, db, rabbit_config, rabbit_manager):
    dossiers = received_dossiers(world)
    codes = [code for code, _ in dossiers]
    for code in codes:  # assigned: routing has published to the department's queue
        wait_for(lambda code=code: query(
            db, "SELECT 1 FROM routing.outbox WHERE published_at IS NOT NULL AND body->>"
                "'dossier_code' = %s AND routing_key LIKE '%%.dossier.assigned'", (code,)))
    # what routing keeps to check each secret: it must not travel to the departments
    stored = [row["row"].get("lookup_proof") for code in codes for row in query(
        db, "SELECT to_jsonb(d) AS row FROM routing.dossiers d WHERE code = %s", (code,))]

    broker = everything_in_the_broker(rabbit_config["AMQP_URI"], rabbit_manager,
                                      rabbit_config["vhost"])
    logged = [json.loads(body) for body in broker[EVENT_LOG]]
    received = [m for m in logged if m["type"] == "dossier.received"]
    assert {m["dossier_code"] for m in received} >= set(codes), "the event log was not read"
    assert any(codes[0] in body for body in broker["department.stp"]), \
        "the department's queue was not read"

    anywhere = {"citizen ID": APPLICANT["citizen_id"]}
    for code, secret in dossiers:
        anywhere[f"lookup secret of {code}"] = secret
        anywhere[f"unsalted hash of the secret of {code}"] = old_proof_hash(code, secret)
    not_for_departments = dict(anywhere)
    for proof in filter(None, stored):
        not_for_departments[f"routing's proof {proof[:24]}..."] = proof.rsplit("$", 1)[-1]
    for message in received:
        sealed = message["data"].get("lookup_secret_for_notify")
        if sealed:
            not_for_departments[f"notify's copy in {message['id']}"] = sealed

    leaks = []
    for queue, bodies in broker.items():
        kind = kind_of(queue)
        forbidden = anywhere if kind in ("event log", "event queue") else not_for_departments
        leaks += [f"{kind} {queue}: {what}" for body in bodies
                  for what, value in forbidden.items() if value in body]
    read = sum(len(bodies) for bodies in broker.values())
    print(f"secrets at rest: {read} messages in {len(broker)} queues and the event log, "
          f"{len(not_for_departments)} values searched, {len(leaks)} leaks")
    assert not leaks, "\n".join(sorted(set(leaks))[:30])
