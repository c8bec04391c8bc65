"""docstore: documents. Scans handed in at reception, certified copies and electronic
results: type check, virus scan, storage (PostgreSQL or S3, content-addressed), metadata of
Decree 118/2025 art. 19(2), reuse, verification and audited downloads. The document worker
(worker.py, no eventlet) makes each accepted file a signed PDF/A-2B with Vietnamese OCR."""
from services.common.consumer import reliable_event_handler
from services.common.contracts import DossierReceived, ResultReady
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response, ops
from services.common.rpc import rpc
from services.common.settings import ServiceSettings

from . import documents, dossiers, files, joining, metrics, reports, results, store
from .schemas import (
    UPLOAD,
    DocumentList,
    DocumentSchema,
    DocumentView,
    FileQuerySchema,
    ReportQuerySchema,
    ResultQuerySchema,
    ReuseQuerySchema,
    ReuseSchema,
    SignatureSchema,
    SigningRequestView,
    VerificationView,
)
from .settings import DocstoreServiceSettings
from .storage import DocumentStorage
from .uploads import spooled

MAKERS = ("counter_officer", "department_officer", "leader", "manager")
STAFF = MAKERS
MANAGER = ("manager",)
RECEPTION = ("counter_officer",)
SIGNERS = ("counter_officer", "department_officer", "leader")


class DocstoreService(OpsEndpoints):
    name = "docstore"

    db = Database()
    storage = DocumentStorage()
    settings = ServiceSettings(DocstoreServiceSettings)

    # making documents ---------------------------------------------------------------------
    @api("POST", "/api/v1/documents",
         summary="Describe a document to digitise (art. 19(2) metadata); its file follows",
         body=DocumentSchema, auth=MAKERS,
         responses={201: ("described, awaiting its file", DocumentView),
                    403: "the role does not make this kind, or another agency's"})
    def create_document(self, request, caller, body):
        with self.db.transaction() as cur:
            return json_response(documents.create(cur, caller, body), 201)

    @api("PUT", "/api/v1/documents/<document_id>/content",
         summary="The document's file (PDF, JPEG, PNG or TIFF): scanned for viruses, stored, "
                 "then made a signed PDF/A by the document worker",
         upload=UPLOAD, auth=MAKERS,
         responses={202: ("stored; the worker converts and signs it", DocumentView),
                    404: "no such document for this caller",
                    409: "the document already has its file",
                    413: "the file is larger than DOCSTORE_MAX_UPLOAD_BYTES",
                    422: "not an allowed type, empty, or infected (quarantined)",
                    503: "the virus scanner is unavailable: nothing was stored"})
    def put_content(self, request, document_id, caller):
        with spooled(request, self.settings.max_upload_bytes, self.settings.spool_dir) as upload:
            found = documents.receive_content(self.db, self.storage, self.settings, caller,
                                              document_id, upload, request.correlation_id)
        return json_response(found, 202)

    # two-phase signing by a remote service ------------------------------------------------
    @api("GET", "/api/v1/documents/<document_id>/signing-request",
         summary="What the remote signing service signs for a document awaiting its "
                 "signature (DOCSTORE_SIGNER=external)", auth=SIGNERS,
         responses={200: ("the bytes to sign and the certificate to sign with",
                          SigningRequestView),
                    403: "the signature awaited is another role's",
                    404: "no such document for this caller",
                    409: "the document does not await a signature"})
    def get_signing_request(self, request, document_id, caller):
        with self.db.transaction() as cur:
            return json_response(documents.signing_request(cur, caller, document_id))

    @api("PUT", "/api/v1/documents/<document_id>/signature",
         summary="The remote signing service's value: the document worker embeds it, and "
                 "the document is signed (or, if it does not verify, awaits another)",
         body=SignatureSchema, auth=SIGNERS,
         responses={202: ("kept; the worker embeds it", DocumentView),
                    403: "the signature awaited is another role's",
                    404: "no such document for this caller",
                    409: "the document does not await a signature, or one already waits "
                         "to be embedded"})
    def put_signature(self, request, document_id, caller, body):
        with self.db.transaction() as cur:
            return json_response(documents.receive_signature(
                cur, caller, document_id, body["signature"], request.correlation_id), 202)

    # reading them -------------------------------------------------------------------------
    @api("GET", "/api/v1/documents/<document_id>", summary="A document's metadata and status",
         auth=STAFF, responses={200: ("the document", DocumentView),
                                404: "no such document for this caller"})
    def get_document(self, request, document_id, caller):
        with self.db.transaction() as cur:
            row = documents.visible(cur, caller, documents.parse_id(document_id))
            return json_response(documents.view(row))

    @api("GET", "/api/v1/documents/<document_id>/file",
         summary="The signed PDF/A (?inline=1 to show it in the browser, sandboxed); audited",
         query=FileQuerySchema, auth=STAFF,
         responses={200: "the PDF", 404: "no such document for this caller",
                    409: "not signed yet"})
    def get_file(self, request, document_id, caller, query):
        with self.db.transaction() as cur:
            row, data = documents.signed_file(cur, self.storage, caller, document_id,
                                              query["inline"])
        return files.pdf_response(row, data, query["inline"])

    @api("GET", "/api/v1/documents/<document_id>/pages/<int:page>/thumbnail",
         summary="A page of the signed PDF/A as a small PNG", auth=STAFF,
         responses={200: "the PNG", 404: "no such document or page", 409: "not signed yet"})
    def get_thumbnail(self, request, document_id, page, caller):
        with self.db.transaction() as cur:
            row = documents.visible(cur, caller, documents.parse_id(document_id))
            data = documents.stored_file(cur, self.storage, row)
        return files.thumbnail_response(data, page, self.settings.thumbnail_dpi)

    @api("GET", "/api/v1/documents/<document_id>/verification",
         summary="Is the stored file intact, validly signed by a trusted signer, all covered?",
         auth=STAFF, responses={200: ("the verification", VerificationView),
                                404: "no such document for this caller",
                                409: "not signed yet"})
    def verify(self, request, document_id, caller):
        with self.db.transaction() as cur:
            row = documents.visible(cur, caller, documents.parse_id(document_id))
            data = documents.stored_file(cur, self.storage, row)
        return json_response(files.verified(data, self.settings))

    @api("GET", "/api/v1/dossiers/<code>/documents", summary="The documents of a dossier",
         auth=STAFF, responses={200: ("the documents the caller may see", DocumentList)})
    def dossier_documents(self, request, code, caller):
        with self.db.transaction() as cur:
            return json_response({"documents": documents.of_dossier(cur, caller, code)})

    # the citizen's electronic result (art. 22) ------------------------------------------------
    @api("GET", "/api/v1/dossiers/<code>/result",
         summary="The dossier's signed electronic result: for the citizen with the lookup "
                 "secret of the receipt, or for staff by token; audited",
         query=ResultQuerySchema, auth=STAFF, public_if="secret",
         responses={200: "the signed PDF", 404: "no such dossier, wrong secret, or no result"})
    def get_result(self, request, code, caller, query):
        with self.db.transaction() as cur:
            row, data = documents.result_file(cur, self.storage, caller, code, query["secret"],
                                              self.settings.lookup_pepper)
        return files.pdf_response(row, data, inline=False)

    # intake's dossiers --------------------------------------------------------------------
    @reliable_event_handler("intake", "dossier.received", contract=DossierReceived,
                            fields=dossiers.RECEIVED_FIELDS)
    def handle_dossier_received(self, cur, envelope, data):
        dossiers.received(cur, envelope, data)

    @rpc
    def check_reception_documents(self, document_ids, department):
        """For intake, before it stores a dossier of `department`: {id: None when the scan
        may join it, else {"reason", "problem"}} (services/docstore/joining.py)."""
        with self.db.transaction() as cur:
            return joining.for_reception(cur, document_ids, department)

    @rpc
    def check_result_document(self, document_id, code, department):
        """For routing's `complete`: None when the document is the agency's signed result
        for dossier `code`, else {"reason", "problem"}."""
        with self.db.transaction() as cur:
            return joining.for_result(cur, document_id, code, department)

    # routing's results: the citizen's electronic result -------------------------------------
    @reliable_event_handler("routing", "dossier.result_ready", contract=ResultReady,
                            fields=results.READY_FIELDS)
    def handle_result_ready(self, cur, envelope, data):
        results.ready(cur, envelope, data)

    # reuse --------------------------------------------------------------------------------
    @api("POST", "/api/v1/reuse-offers",
         summary="Documents already held for this owner and type (the citizen ID in the body, "
                 "never in the URL)", body=ReuseQuerySchema, auth=RECEPTION,
         responses={200: ("signed, valid documents to reuse instead of a new scan",
                          DocumentList)})
    def reuse_offers(self, request, caller, body):
        with self.db.transaction() as cur:
            return json_response({"documents": documents.reuse_offers(cur, caller, body)})

    @api("POST", "/api/v1/documents/<document_id>/reuse",
         summary="Reuse a document already held in a new dossier (no new scan, no copy)",
         body=ReuseSchema, auth=RECEPTION,
         responses={201: ("the new document of the dossier", DocumentView),
                    404: "no such signed document of this owner"})
    def reuse(self, request, document_id, caller, body):
        with self.db.transaction() as cur:
            return json_response(documents.reuse(cur, caller, document_id, body,
                                                 request.correlation_id), 201)

    # reports and metrics ------------------------------------------------------------------
    @api("GET", "/api/v1/reports",
         summary="Digitisation by agency and month: dossiers digitised, documents reused, "
                 "results issued electronically", query=ReportQuerySchema, auth=MANAGER,
         responses={200: "the report"})
    def report(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response(reports.of_months(cur, query["month_from"], query["month_to"]))

    @ops("GET", "/metrics", summary="Prometheus metrics (text exposition format)")
    def metrics(self, request):
        with self.db.transaction() as cur:
            metrics.refresh(store.counts_by_status(cur), reports.this_month(cur))
        return OpsEndpoints.metrics(self, request)
