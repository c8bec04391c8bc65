"""The document worker: turns each accepted upload into a signed PDF/A-2B with a Vietnamese
text layer and stores it. A plain pika consumer without eventlet (pyHanko runs its own
asyncio loop, OCR takes seconds of CPU a page), one job at a time, scaled out as competing
consumers on the depth of its queue.

Jobs are the `document.accepted` events of docstore's outbox, on the quorum queue
`docstore.jobs`. A job holds its document's row locked while it works and does nothing to a
document no longer `processing`, so a redelivered job (a crash before the ack, two workers)
makes no second file and no second signature; the file, the row and the `document.signed`
event (its id derived from the job's) commit together, then the job is acked. A file that
cannot be converted marks the document failed; anything else (database, storage, token) is
retried, and a job delivered too often goes to the dead letters."""
import json
import logging
import time

import pika
from prometheus_client import Counter, Histogram, start_http_server

from services.common import broker, logs
from services.common.config import load_config
from services.common.consumer import delivered_queue_arguments
from services.common.contracts import DocumentSigned
from services.common.db import Pool
from services.common.events import caused_by, events_exchange, publish
from services.common.settings import read_settings

from . import files, pdfa, signing, store, verification
from .settings import DocstoreSettings
from .storage import storage_of

log = logging.getLogger("motcua.docstore.worker")

SERVICE = "docstore"
CONSUMER = "docstore.worker"
JOB_QUEUE = "docstore.jobs"
JOB_EVENT = "document.accepted"
# a remote signer's value for a document awaiting it (DOCSTORE_SIGNER=external)
SIGNATURE_EVENT = "document.signature_received"
# declared at deployment with the event queues (tooling/topology.py)
JOB_QUEUES = tuple((JOB_QUEUE, events_exchange(SERVICE), event_type, delivered_queue_arguments())
                   for event_type in (JOB_EVENT, SIGNATURE_EVENT))
RETRY_PAUSE_SECONDS = 2.0

JOBS = Counter("motcua_docstore_jobs_total", "Document worker jobs by outcome",
               ["outcome"])
JOB_SECONDS = Histogram("motcua_docstore_job_seconds", "Time to convert, sign and store a document",
                        buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300))


def keys_of(settings):
    if settings.signer == "external":
        return signing.ExternalKeys(settings.external_cert_dir)
    if settings.signer == "pkcs11":
        return signing.Pkcs11Keys(settings.pkcs11_module, settings.pkcs11_token,
                                  settings.pkcs11_pin, settings.pkcs11_key_label)
    return signing.LocalKeys(settings.local_key_dir)


class Worker:
    def __init__(self, pool, storage, keys, settings):
        self.pool, self.storage, self.keys, self.settings = pool, storage, keys, settings

    def handle(self, envelope):
        """'signed', 'awaiting_signature' (the remote signer's turn), 'refused' (its value
        did not verify), 'skipped' (already done, or not for us) or 'failed' (bad file)."""
        if envelope["type"] == SIGNATURE_EVENT:
            return self.embed_signature(envelope)
        with self.pool.transaction() as cur:
            row = store.get_document(cur, envelope["data"]["document_id"], lock=True)
            if row is None or row["status"] != "processing":
                return "skipped"
            source = self.storage.get(cur, row["source_sha256"])
            try:
                pdf = pdfa.to_pdfa(source, row["source_media_type"],
                                   self.settings.ocr_languages, self.settings.image_dpi)
            except pdfa.ConversionFailed as exc:
                store.failed(cur, row["id"], str(exc)[:500] or "conversion failed")
                return "failed"
            role = signing.SIGNER_OF_KIND[row["kind"]]
            if isinstance(self.keys, signing.ExternalKeys):
                return self.request_signature(cur, row, pdf, role)
            signer = self.keys.signer(role)
            self.store_signed(cur, row, signing.sign(pdf, signer), signing.subject_of(signer),
                              role, envelope)
            return "signed"

    def request_signature(self, cur, row, pdf, role):
        """The first phase: the signature reserved in the PDF/A, the bytes to sign kept for
        the remote signer (GET .../signing-request), the document awaiting its value."""
        external = self.keys.signing(role)
        state, to_sign = external.prepare(pdf)
        prepared = self.storage.put(cur, state.pop("pdf"))
        store.awaiting_signature(cur, row["id"], role, external.cert.subject.human_friendly,
                                 prepared,
                                 {k: v.hex() if isinstance(v, bytes) else v
                                  for k, v in state.items()}, to_sign)
        return "awaiting_signature"

    def embed_signature(self, envelope):
        """The second phase: the value sent back is embedded; one that does not make a valid
        signature by a trusted signer over the whole file is refused, and the document waits
        for another."""
        with self.pool.transaction() as cur:
            row = store.get_document(cur, envelope["data"]["document_id"], lock=True)
            request = row and store.signing_request(cur, row["id"])
            if row is None or row["status"] != "awaiting_signature" or \
                    request is None or request["signature"] is None:
                return "skipped"
            external = self.keys.signing(request["signer_kind"])
            state = {k: bytes.fromhex(v) if isinstance(v, str) else v
                     for k, v in request["state"].items()}
            state["pdf"] = self.storage.get(cur, request["prepared_sha256"])
            try:
                signed = external.finish(state, bytes(request["signature"]))
                verified = verification.verify(signed, files.trust_roots(self.settings))
            except Exception as exc:  # noqa: BLE001 - a value that cannot be embedded is refused
                verified = {"valid": False, "summary": "Giá trị chữ ký không dùng được "
                                                       f"({type(exc).__name__})."}
            if not (verified["valid"] and verified.get("trusted") and
                    verified.get("covers_whole_file")):
                store.signature_refused(cur, row["id"], verified["summary"])
                return "refused"
            self.store_signed(cur, row, signed, external.cert.subject.human_friendly,
                              request["signer_kind"], envelope)
            return "signed"

    def store_signed(self, cur, row, signed, subject, role, envelope):
        """The signed PDF/A stored, the document signed and `document.signed` out, together."""
        key = self.storage.put(cur, signed)
        row = store.signed(cur, row["id"], key, len(signed), pdfa.page_count(signed), subject,
                           role)
        with caused_by(CONSUMER, envelope["id"]):
            publish(cur, SERVICE, "document.signed", DocumentSigned, {
                "document_id": row["id"], "kind": row["kind"],
                "dossier_code": row["dossier_code"], "department": row["department"],
                "sha256": key, "pages": row["pages"], "signer": row["signer"],
                "signed_at": row["signed_at"]}, envelope["correlation_id"], row["dossier_code"])

    def on_message(self, channel, method, properties, body):
        started = time.perf_counter()
        try:
            envelope = json.loads(body)
            logs.bind(correlation_id=envelope.get("correlation_id"))
            outcome = self.handle(envelope)
        except (ValueError, KeyError, TypeError) as exc:
            # not a job of ours: parked for an operator, never retried
            log.error("malformed job", extra={"exception": type(exc).__name__})
            JOBS.labels("malformed").inc()
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        except Exception as exc:  # noqa: BLE001 - retried; the delivery limit parks it
            log.warning("job failed, retried", exc_info=exc)
            JOBS.labels("retried").inc()
            time.sleep(RETRY_PAUSE_SECONDS)
            channel.basic_nack(method.delivery_tag, requeue=True)
            return
        finally:
            logs.clear()
        JOBS.labels(outcome).inc()
        JOB_SECONDS.observe(time.perf_counter() - started)
        log.info("job done", extra={"outcome": outcome,
                                    "document_id": envelope["data"]["document_id"]})
        channel.basic_ack(method.delivery_tag)


def declare(channel):
    for queue, exchange, routing_key, arguments in JOB_QUEUES:
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.queue_declare(queue, durable=True, arguments=arguments)
        channel.queue_bind(queue, exchange, routing_key=routing_key)


def run(config, settings, stop_after=None):
    """Consumes jobs until stopped (or, in tests, until `stop_after` seconds without one)."""
    pool = Pool(config["DB_URL"], 2)
    worker = Worker(pool, storage_of(settings), keys_of(settings), settings)
    link = broker.report(broker.BrokerLink(SERVICE, "worker"))
    pause = 1.0
    while True:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(config["AMQP_URI"]))
            channel = connection.channel()
            declare(channel)
            channel.basic_qos(prefetch_count=1)
            link.connected()
            pause = 1.0
            if stop_after is not None:
                for method, properties, body in channel.consume(JOB_QUEUE,
                                                                inactivity_timeout=stop_after):
                    if method is None:
                        connection.close()
                        return
                    worker.on_message(channel, method, properties, body)
            channel.basic_consume(JOB_QUEUE, worker.on_message)
            channel.start_consuming()
        except pika.exceptions.AMQPConnectionError as exc:
            link.disconnected(exc)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def main():
    config = load_config(SERVICE)
    logs.setup(config.get("LOG_LEVEL") or "INFO")
    settings = read_settings(DocstoreSettings, config)
    start_http_server(int(config["WORKER_METRICS_PORT"]))
    run(config, settings)


if __name__ == "__main__":
    main()
