"""routing: the dossier lifecycle after reception, department queues, and the public lookup."""
import logging

from nameko.extensions import DependencyProvider

from services.common.consumer import first_delivery, parse_envelope, reliable_handler, validate_data
from services.common.contracts import DossierReceived
from services.common.db import Database
from services.common.http import ApiError, OpsEndpoints, api, json_response
from services.common.topology import declare_department_queues, with_channel

from . import store
from .assignment import STATUS_LABELS, assign, matches, phone_matches
from .schemas import LookupQuerySchema

log = logging.getLogger("motcua.routing")


class DepartmentQueues(DependencyProvider):
    """Declares a department's queue the first time this process routes to it, so a
    department added to the catalogue gets its queue before its first dossier."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.declared = set()

    def get_dependency(self, worker_ctx):
        def ensure(department):
            if department not in self.declared:
                with_channel(self.amqp_uri, declare_department_queues, [department])
                self.declared.add(department)

        return ensure


class RoutingService(OpsEndpoints):
    name = "routing"

    db = Database()
    department_queue = DepartmentQueues()

    @reliable_handler("intake", "dossier.received")
    def handle_dossier_received(self, body):
        envelope = parse_envelope(body)
        data = validate_data(DossierReceived(), envelope)
        self.department_queue(data["procedure"]["department"])
        with self.db.transaction() as cur:
            if not first_delivery(cur, store.SCHEMA, envelope["id"], "handle_dossier_received"):
                log.info("duplicate delivery ignored", extra={"dossier_code": data["code"]})
                return
            assign(cur, envelope, data)
        log.info("dossier assigned", extra={"dossier_code": data["code"],
                                            "department": data["procedure"]["department"]})

    @api("GET", "/api/v1/dossiers/<code>")
    def lookup(self, request, code):
        query = LookupQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            dossier = store.get_dossier(cur, code)
            history = store.get_history(cur, code) if dossier else []
        if dossier is None or not self._proof_ok(dossier, query):
            raise ApiError(404, "not_found", "no dossier with this code and lookup secret or phone")
        return json_response(public_view(dossier, history))

    @staticmethod
    def _proof_ok(dossier, query):
        if query["secret"]:
            return matches(dossier["code"], dossier["lookup_secret_hash"], query["secret"].upper())
        return phone_matches(dossier, query["phone"])


def public_view(dossier, history):
    return {
        "code": dossier["code"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "status": dossier["status"],
        "status_label": STATUS_LABELS.get(dossier["status"], dossier["status"]),
        "department": dossier["department"],
        "cooperating": dossier["cooperating"],
        "channel": dossier["channel"],
        "received_at": dossier["received_at"].isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "history": [
            {"at": h["at"].isoformat(), "status": h["status"],
             "label": STATUS_LABELS.get(h["status"], h["status"]), "note": h["note"]}
            for h in history
        ],
    }
