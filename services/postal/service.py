"""postal: post offices and delegations, delegated reception, pick-up at home, result delivery
by post with tracking, and the departments' dossier volumes."""

from services.common.consumer import reliable_batch_event_handler, reliable_event_handler
from services.common.contracts import DossierReceived, ResultReady
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response
from services.common.idempotency import key_of
from services.common.rpc import RpcProxy
from services.common.settings import ServiceSettings

from . import delegations, pickups, reception, reports, shipments, store
from .schemas import (
    TRACKING_FILE,
    ClerkUpdateSchema,
    DelegationEndSchema,
    DelegationList,
    DelegationSchema,
    DelegationView,
    PickupList,
    PickupQuerySchema,
    PickupSchema,
    PickupView,
    PostOfficeList,
    PostOfficeSchema,
    ReceptionSchema,
    ReportQuerySchema,
    ShipmentList,
    ShipmentQuerySchema,
    ShipmentUpdateAnswer,
    ShipmentView,
    TrackingImportAnswer,
    VolumeQuerySchema,
    VolumesSchema,
)
from .settings import PostalSettings
from .uploads import uploaded_rows

CLERK, MANAGER, PORTAL = ("postal_clerk",), ("manager",), ("portal",)
STAFF = ("manager", "postal_clerk")
REPLAYED = {"Idempotent-Replayed": "true"}


class PostalService(OpsEndpoints):
    name = "postal"

    db = Database()
    intake = RpcProxy("intake")
    settings = ServiceSettings(PostalSettings)

    # post offices, delegations and volumes (manager) ----------------------------------------
    @api("POST", "/api/v1/post-offices", summary="Register a post office", body=PostOfficeSchema,
         auth=MANAGER, responses={201: ("registered", PostOfficeSchema),
                                  409: "a post office with this code or receiving unit exists"})
    def create_post_office(self, request, caller, body):
        with self.db.transaction() as cur:
            return json_response(delegations.register_post_office(cur, body), 201)

    @api("GET", "/api/v1/post-offices", summary="The post offices",
         auth=("manager", "postal_clerk", "portal"),
         responses={200: ("the post offices", PostOfficeList)})
    def list_post_offices(self, request, caller):
        with self.db.transaction() as cur:
            return json_response({"post_offices": store.list_post_offices(cur)})

    @api("POST", "/api/v1/delegations",
         summary="Delegate a department's reception (all or some procedures) to a post office",
         body=DelegationSchema, auth=MANAGER,
         responses={201: ("delegated", DelegationView),
                    409: "the department's volume requires its own officers (override_reason)",
                    503: "the department list (intake) cannot be reached"})
    def create_delegation(self, request, caller, body):
        return json_response(delegations.delegate(self.db, self.intake, body, caller), 201)

    @api("POST", "/api/v1/delegations/<int:delegation_id>/end", summary="End a delegation early",
         body=DelegationEndSchema, auth=MANAGER,
         responses={200: ("ended", DelegationView), 404: "no such delegation",
                    409: "the delegation already ends by then"})
    def end_delegation(self, request, delegation_id, caller, body):
        """A delegation ends early (the department stations officers again, say): it stays
        on record with the date, who ended it and why."""
        with self.db.transaction() as cur:
            return json_response(delegations.end(cur, delegation_id, body, caller))

    @api("GET", "/api/v1/delegations",
         summary="The delegations (a clerk sees its own post office's), with today's volume",
         auth=STAFF, responses={200: ("the delegations", DelegationList)})
    def list_delegations(self, request, caller):
        with self.db.transaction() as cur:
            found = delegations.listed(cur, caller)
        return json_response({"delegations": found})

    @api("PUT", "/api/v1/volumes", summary="Record monthly dossier volumes of departments",
         body=VolumesSchema, auth=MANAGER, responses={200: "how many months were recorded"})
    def record_volumes(self, request, caller, body):
        """Monthly figures from before the system (or corrected ones) replace the count."""
        with self.db.transaction() as cur:
            return json_response({"recorded": delegations.record_volumes(cur, body["volumes"])})

    @api("GET", "/api/v1/volumes",
         summary="Monthly dossier volumes (?department= narrows to one)", query=VolumeQuerySchema,
         auth=MANAGER, responses={200: "the volumes by department and month"})
    def list_volumes(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response({"volumes": store.list_volumes(cur, query["department"])})

    # delegated reception (clerk) ------------------------------------------------------------
    @api("POST", "/api/v1/receptions",
         summary="Receive a dossier at the post office (the body of intake's POST /api/v1/dossiers)",
         body=ReceptionSchema, auth=CLERK,
         responses={201: "registered: the dossier as intake answers it (code, receipt, due date)",
                    200: "replay of an earlier request with the same Idempotency-Key",
                    403: "the post office has no delegation for this procedure",
                    409: "Idempotency-Key reused for a different body, or still in progress",
                    503: "intake cannot be reached; nothing was registered",
                    504: "intake did not answer in time; look at GET /api/v1/receptions"})
    def receive(self, request, caller, body):
        key = key_of(request)
        receipt, replayed = reception.receive(self.db, self.intake, caller, body, key,
                                              request.correlation_id)
        return json_response(receipt, *((200, REPLAYED) if replayed else (201,)))

    @api("GET", "/api/v1/receptions",
         summary="The dossiers the clerk's post office registered today", auth=CLERK,
         responses={200: "the receptions of today"})
    def list_receptions(self, request, caller):
        """The dossiers the clerk's post office registered today (local date)."""
        with self.db.transaction() as cur:
            return json_response({"receptions": reception.receptions_today(cur, caller)})

    # pick-up at home ------------------------------------------------------------------------
    @api("POST", "/api/v1/pickups", summary="Ask the post office to pick a dossier up at home",
         body=PickupSchema, auth=PORTAL, responses={201: ("requested", PickupView)})
    def request_pickup(self, request, caller, body):
        return json_response(pickups.request(self.db, self.intake, body, caller,
                                             self.settings.pickup_fee), 201)

    @api("GET", "/api/v1/pickups", summary="The pick-up orders of the clerk's post office",
         query=PickupQuerySchema, auth=CLERK,
         responses={200: ("the orders, with the addresses", PickupList)})
    def list_pickups(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response({"pickups": pickups.listed(cur, caller, query["status"])})

    @api("POST", "/api/v1/pickups/<pickup_id>/collected",
         summary="The dossier was collected at the citizen's address", auth=CLERK,
         responses={200: ("collected", PickupView), 404: "no such order at this post office",
                    409: "the order is not waiting to be collected"})
    def pickup_collected(self, request, pickup_id, caller):
        with self.db.transaction() as cur:
            return json_response(pickups.collected(cur, caller, pickup_id))

    @api("POST", "/api/v1/pickups/<pickup_id>/received",
         summary="The collected dossier is checked and registered (channel postal)", auth=CLERK,
         responses={201: "registered: the dossier as intake answers it, and the order",
                    404: "no such order at this post office",
                    409: "the order has not been collected",
                    503: "intake cannot be reached; nothing was registered",
                    504: "intake did not answer in time"})
    def pickup_received(self, request, pickup_id, caller):
        """The collected dossier is checked at the post office and registered (channel postal).
        The order stays locked while intake registers it, so it is registered once."""
        return json_response(pickups.received(self.db, self.intake, caller, pickup_id,
                                              request.correlation_id), 201)

    # result delivery --------------------------------------------------------------------------
    @reliable_event_handler("routing", "dossier.result_ready", contract=ResultReady,
                            fields=shipments.RESULT_FIELDS)
    def handle_result_ready(self, cur, envelope, data):
        return shipments.ship_result(cur, envelope, data, self.settings)

    @api("GET", "/api/v1/shipments", summary="Result shipments (a clerk sees its post office's)",
         query=ShipmentQuerySchema, auth=STAFF, responses={200: ("the shipments", ShipmentList)})
    def list_shipments(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response({"shipments": shipments.listed(cur, caller, query)})

    @api("GET", "/api/v1/shipments/<tracking_number>", summary="One shipment and its tracking",
         auth=STAFF,
         responses={200: ("the shipment", ShipmentView), 404: "no such shipment for this caller"})
    def get_shipment(self, request, tracking_number, caller):
        with self.db.transaction() as cur:
            return json_response(shipments.one(cur, caller, tracking_number))

    @api("GET", "/api/v1/dossiers/<code>/shipment",
         summary="The result shipment of a dossier and its tracking, for its applicant (the "
                 "desk's citizen token for that dossier)", auth=("citizen",),
         responses={200: ("the shipment", ShipmentView),
                    404: "no shipment of this dossier, or not the token's dossier"})
    def dossier_shipment(self, request, code, caller):
        with self.db.transaction() as cur:
            return json_response(shipments.of_dossier(cur, caller, code))

    @api("POST", "/api/v1/shipments/<tracking_number>/events",
         summary="A tracking event of a shipment (picked up, in transit, delivered, failed...)",
         body=ClerkUpdateSchema, auth=CLERK,
         responses={201: ("applied", ShipmentUpdateAnswer),
                    200: ("already recorded: nothing changed", ShipmentUpdateAnswer),
                    404: "no such shipment at this post office",
                    409: "the event cannot follow the shipment's status"})
    def clerk_update(self, request, tracking_number, caller, body):
        with self.db.transaction() as cur:
            outcome, shipment = shipments.clerk_update(cur, tracking_number, body, caller,
                                                       request.correlation_id)
        return json_response({"outcome": outcome, "shipment": shipment},
                             201 if outcome == "applied" else 200)

    @api("POST", "/api/v1/tracking-imports",
         summary="The carrier's tracking file (CSV or JSON body): rows applied one by one",
         upload=TRACKING_FILE, auth=STAFF,
         responses={200: ("what was applied, repeated and rejected", TrackingImportAnswer),
                    400: "the file cannot be read", 413: "the file is too large"})
    def import_tracking(self, request, caller):
        """The carrier's tracking file (CSV or JSON): each row validated and applied on its
        own; bad rows are reported and skipped, repeated rows change nothing."""
        return json_response(shipments.import_rows(self.db, uploaded_rows(request), caller,
                                                   request.correlation_id))

    # volumes and receptions from intake's events ----------------------------------------------
    # The month's counts and the day's receptions are read by reports, never at once: a batch
    # waits a fifth of a second for more dossiers, so a busy hour costs fewer commits.
    @reliable_batch_event_handler("intake", "dossier.received", contract=DossierReceived,
                                  fields=reception.RECEIVED_FIELDS, linger=0.2)
    def handle_dossier_received(self, batch, envelope, data):
        reception.count_received(batch, envelope, data)

    # reports and metrics ----------------------------------------------------------------------
    @api("GET", "/api/v1/reports", summary="Postal volumes by month: receptions, pick-ups, shipments",
         query=ReportQuerySchema, auth=MANAGER, responses={200: "the report"})
    def report(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response(reports.of_months(cur, query["month_from"], query["month_to"]))

    @api("GET", "/metrics", summary="Prometheus metrics (text exposition format)")
    def metrics(self, request):
        with self.db.transaction() as cur:
            shipments.count_by_status(cur)
        return OpsEndpoints.metrics(self, request)


