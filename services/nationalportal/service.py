"""nationalportal: the link to the National Public Service Portal (DVCQG). Online dossiers
in (handed to intake, awaiting formal reception); every dossier and step synced back, with a
sync state per dossier and step, retries, a circuit breaker, dead letters, reconciliation."""
import uuid

from services.common.consumer import reliable_event_handler
from services.common.contracts import (
    DossierCorrectionsRequested,
    DossierEvaluated,
    DossierReceived,
    DossierStatusChanged,
    PaymentRequested,
    PaymentSettled,
    ResultReady,
)
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response, ops
from services.common.rpc import RpcProxy
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import catalogue, errors, inbound, ratings, reconcile, store, sync
from .client import Portal, PortalDown, PortalRefused
from .schemas import (
    CatalogueReport,
    DossierSyncView,
    InboundList,
    InboundQuerySchema,
    PollOutcome,
    RatingSummaryReport,
    RatingSummarySchema,
    ReconcileReport,
    ReconcileSchema,
    SyncOverview,
)
from .settings import NationalPortalSettings

MANAGER = ("manager",)
PORTAL_DOWN = "Cổng DVCQG không trả lời hoặc từ chối lời gọi; thử lại sau."
UNREACHABLE = {503: "the portal did not answer, or refused the call"}


class NationalPortalService(OpsEndpoints):
    name = "nationalportal"

    db = Database()
    portal = Portal()
    intake = RpcProxy("intake")
    settings = ServiceSettings(NationalPortalSettings)

    # outbound: events recorded, pushed by the timer -------------------------------------------
    @reliable_event_handler("intake", "dossier.received", contract=DossierReceived,
                            fields=sync.RECEIVED_FIELDS)
    def handle_dossier_received(self, cur, envelope, data):
        sync.record_reception(cur, envelope, data)

    @reliable_event_handler("intake", "dossier.corrections_requested",
                            contract=DossierCorrectionsRequested,
                            fields=("submission_id", "department", "reason", "requested_at"))
    def handle_corrections_requested(self, cur, envelope, data):
        sync.record_corrections(cur, envelope, data)

    @reliable_event_handler("routing", "dossier.status_changed", contract=DossierStatusChanged,
                            fields=sync.STATUS_FIELDS)
    def handle_status_changed(self, cur, envelope, data):
        sync.record_step(cur, envelope, data)

    @reliable_event_handler("routing", "dossier.evaluated", contract=DossierEvaluated,
                            fields=sync.EVALUATED_FIELDS)
    def handle_evaluated(self, cur, envelope, data):
        sync.record_rating(cur, envelope, data)

    @reliable_event_handler("payment", "payment.requested", contract=PaymentRequested,
                            fields=("bill_id", "code", "kind", "amount", "description"))
    def handle_bill(self, cur, envelope, data):
        sync.record_bill(cur, envelope, data)

    @reliable_event_handler("payment", "payment.settled", contract=PaymentSettled,
                            fields=("bill_id", "code", "kind", "amount", "paid", "settled_at"))
    def handle_settled(self, cur, envelope, data):
        sync.record_settlement(cur, envelope, data)

    @reliable_event_handler("routing", "dossier.result_ready", contract=ResultReady,
                            fields=("code", "result_reference", "ready_at", "releasable"))
    def handle_result_ready(self, cur, envelope, data):
        sync.record_result(cur, envelope, data)

    @interval_timer("PORTAL_PUSH_SECONDS", 2)
    def push(self):
        sync.push(self.db, self.portal, self.settings)

    # the evaluations: a monthly summary per procedure -----------------------------------------
    @interval_timer("PORTAL_RATING_SUMMARY_SECONDS", 3600)
    def summarise_ratings(self):
        ratings.run(self.db, self.portal, self.portal.settings.unit_code,
                    self.portal.settings.unit_name)

    @api("POST", "/api/v1/rating-summaries", summary="Compute a month's evaluation summaries "
         "per procedure and send the changed ones to the portal (DongBoDanhGia); a later run "
         "replaces them", body=RatingSummarySchema, auth=MANAGER,
         responses={200: ("the month's summaries", RatingSummaryReport), **UNREACHABLE})
    def summarise_month(self, request, caller, body):
        try:
            return json_response(ratings.summarise(
                self.db, self.portal, self.portal.settings.unit_code,
                self.portal.settings.unit_name, body["month"]))
        except (PortalDown, PortalRefused) as exc:
            raise errors.PortalUnavailable(PORTAL_DOWN) from exc

    # inbound: online dossiers ------------------------------------------------------------------
    @interval_timer("PORTAL_POLL_SECONDS", 30)
    def poll(self):
        try:
            inbound.poll(self.db, self.portal, self.settings, str(uuid.uuid4()))
        except (PortalDown, PortalRefused):
            pass  # counted by the client; the next poll asks again

    @api("POST", "/api/v1/inbound/polls", summary="Ask the portal for new online dossiers now",
         auth=MANAGER, responses={200: ("what this poll did", PollOutcome), **UNREACHABLE})
    def poll_now(self, request, caller):
        try:
            outcome = inbound.poll(self.db, self.portal, self.settings, request.correlation_id)
        except (PortalDown, PortalRefused) as exc:
            raise errors.PortalUnavailable(PORTAL_DOWN) from exc
        return json_response(outcome)

    @api("GET", "/api/v1/inbound", summary="Online dossiers taken from the portal (?state=parked "
         "lists those waiting for a person, with the reason)", query=InboundQuerySchema,
         auth=MANAGER, responses={200: ("the dossiers, newest first", InboundList)})
    def list_inbound(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response({"inbound": store.inbound_list(cur, query["state"], 500)})

    # the sync state ----------------------------------------------------------------------------
    @api("GET", "/api/v1/sync", summary="The share synced, the lag, the counts by state and the "
         "failed dossiers", auth=MANAGER, responses={200: ("the sync state", SyncOverview)})
    def sync_overview(self, request, caller):
        with self.db.transaction() as cur:
            return json_response(sync.overview(cur))

    @api("GET", "/api/v1/sync/dossiers/<code>", summary="One dossier's sync state and steps",
         auth=MANAGER, responses={200: ("the dossier", DossierSyncView),
                                  404: "no such dossier"})
    def dossier_sync(self, request, code, caller):
        with self.db.transaction() as cur:
            found = store.get_dossier(cur, code)
            if found is None:
                raise errors.unknown_dossier(code)
            return json_response({**found, "steps": store.step_views(cur, code)})

    @api("POST", "/api/v1/sync/dossiers/<code>/retry",
         summary="Send a failed dossier (and its failed steps) again, once what failed is fixed",
         auth=MANAGER, responses={200: ("due again", DossierSyncView), 404: "no such dossier",
                                  409: "the dossier has not failed"})
    def retry(self, request, code, caller):
        with self.db.transaction() as cur:
            if store.get_dossier(cur, code) is None:
                raise errors.unknown_dossier(code)
            if not store.retry_failed(cur, code):
                raise errors.not_failed(code)
            return json_response({**store.get_dossier(cur, code),
                                  "steps": store.step_views(cur, code)})

    @api("POST", "/api/v1/reconciliations", summary="Compare the dossiers received since a "
         "moment with the portal's (TraCuuHoSo) and push again what differs",
         body=ReconcileSchema, auth=MANAGER,
         responses={200: ("what differed", ReconcileReport), **UNREACHABLE})
    def reconcile(self, request, caller, body):
        try:
            return json_response(reconcile.reconcile(self.db, self.portal, body["since"]))
        except (PortalDown, PortalRefused) as exc:
            raise errors.PortalUnavailable(PORTAL_DOWN) from exc

    @api("POST", "/api/v1/catalogue-checks", summary="The portal's procedures, agencies and "
         "lĩnh vực against the local catalogue (reported, nothing changed)", auth=MANAGER,
         responses={200: ("the differences", CatalogueReport), **UNREACHABLE})
    def check_catalogue(self, request, caller):
        procedures = self.intake.list_procedures()["procedures"]
        try:
            return json_response(catalogue.check(self.portal, procedures,
                                                 self.intake.departments()))
        except (PortalDown, PortalRefused) as exc:
            raise errors.PortalUnavailable(PORTAL_DOWN) from exc

    @ops("GET", "/metrics", summary="Prometheus metrics (text exposition format)")
    def metrics(self, request):
        with self.db.transaction() as cur:
            sync.refresh_metrics(cur)
        return OpsEndpoints.metrics(self, request)
