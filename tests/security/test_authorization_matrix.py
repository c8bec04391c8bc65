"""Every HTTP endpoint of every service x every kind of caller: the status each one gets,
against the five services running on the real broker and database with real resources of
department X (a dossier, its bill and receipt, notifications, a shipment, a post office with
a delegation, a pick-up order).

The table must cover every `@api` route of every service class: a new endpoint without a row
fails the test. Denied callers are tried first on each row, so a hole that let one of them
change something would also show in the allowed callers' answers.
"""
from dataclasses import dataclass, field

from services.common.apidocs import endpoints
from services.common.config import SERVICE_NAMES
from services.common.contracts import EVALUATION_ITEMS
from services.routing.staff_feedback import TOPICS as STAFF_FEEDBACK_TOPICS
from tests.security.conftest import DEPARTMENT, DLR_SECRET, OFFICE, OTHER_DEPARTMENT, roles
from tooling.topology import service_class

ROLES = list(roles())
UNAUTHENTICATED = ("no_token", "expired", "wrong_signature")
DENIED = (401, 403, 404)


@dataclass
class Row:
    """One endpoint. `allowed`: callers that pass the role check and what they get; every
    other authenticated caller gets `denied` (403); unauthenticated callers 401. A public
    endpoint (`public=status`) answers every caller the same."""
    service: str
    method: str
    url: str                       # the route as declared in @api
    path: str = None               # the URL requested, with {placeholders} from world.ids
    allowed: dict = field(default_factory=dict)
    public: int = None
    denied: int = 403
    kwargs: dict = field(default_factory=dict)

    def expected(self, role):
        if self.public is not None:
            return self.public
        if role in UNAUTHENTICATED:
            return 401
        return self.allowed.get(role, self.denied)


def dept_officers(right, other, manager=None):
    found = {"officer_right": right, "counter_right": right, "officer_other": other,
             "counter_other": other}
    if manager is not None:
        found["manager"] = manager
    return found


def ops(service):
    return [Row(service, "GET", "/health", public=200), Row(service, "GET", "/ready", public=200),
            Row(service, "GET", "/metrics", public=200),
            Row(service, "GET", "/openapi.json", public=200)]


# docstore: every maker of documents passes the role check; those of another agency (or
# center) do not see the department's document
DOCUMENT_STAFF = {role: 404 for role in ("counter_right", "counter_other", "counter_center",
                                         "officer_right", "officer_other", "leader_right",
                                         "leader_other", "manager")}
DOCUMENT_SEERS = ("counter_right", "officer_right", "leader_right", "manager")
DOCUMENT_SIGNERS = {**{role: 404 for role in DOCUMENT_STAFF if role != "manager"},
                    **{role: 409 for role in DOCUMENT_SEERS if role != "manager"}}
# a post office prints the receipt of the dossiers it received; the world's was received at
# the counter
POST_OFFICES_NOT_RECEIVING = {"clerk_right": 404, "clerk_other": 404}
REPORT_PERIOD = {"params": {"start": "2026-01-01", "end": "2026-01-31"}}
TABLE = [
    # intake ------------------------------------------------------------------------------
    *ops("intake"),
    Row("intake", "GET", "/api/v1/procedures", public=200),
    Row("intake", "GET", "/api/v1/procedures/<code>", "/api/v1/procedures/{procedure_code}",
        public=200),
    Row("intake", "GET", "/api/v1/agencies", public=200),
    Row("intake", "GET", "/api/v1/centers", public=200),
    Row("intake", "POST", "/api/v1/dossiers", kwargs={"json": "{dossier_body}"},
        allowed={"counter_right": 201, "counter_other": 403, "counter_center": 201}),
    Row("intake", "GET", "/api/v1/dossiers/<code>/receipt", "/api/v1/dossiers/{code}/receipt",
        allowed={"counter_right": 200, "portal": 200, "manager": 200, "counter_other": 404,
                 "counter_center": 200, **POST_OFFICES_NOT_RECEIVING}),
    # the reception data: as the receipt, and the deciding agency's officers and leaders
    Row("intake", "GET", "/api/v1/dossiers/<code>/reception", "/api/v1/dossiers/{code}/reception",
        allowed={**dept_officers(200, 404, 200), "portal": 200, "counter_center": 200,
                 "leader_right": 200, "leader_other": 404}),
    Row("intake", "POST", "/api/v1/submissions", kwargs={"json": "{dossier_body}"},
        allowed={"portal": 201}),
    Row("intake", "GET", "/api/v1/submissions",
        allowed={"counter_right": 200, "counter_other": 200, "manager": 200,
                 "counter_center": 200}),
    Row("intake", "GET", "/api/v1/submissions/<submission_id>",
        "/api/v1/submissions/{submission_id}",
        allowed={"counter_right": 200, "counter_other": 404, "portal": 200, "manager": 200,
                 "counter_center": 200}),
    # the center's staff may receive it too: after counter_right did, it is already decided
    Row("intake", "POST", "/api/v1/submissions/<submission_id>/reception",
        "/api/v1/submissions/{submission_id}/reception",
        allowed={"counter_right": 201, "counter_other": 404, "counter_center": 409}),
    Row("intake", "POST", "/api/v1/submissions/<submission_id>/corrections",
        "/api/v1/submissions/{correctable_id}/corrections", kwargs={"json": {
            "documents": [{"name": "Đơn đăng ký"}], "reason": "Đơn chưa ký."}},
        allowed={"counter_right": 200, "counter_other": 404, "counter_center": 409}),
    Row("intake", "GET", "/api/v1/dossiers/<code>/transfer-slip",
        "/api/v1/dossiers/{code}/transfer-slip",
        allowed={"counter_right": 200, "manager": 200, "counter_other": 404,
                 "counter_center": 200, **POST_OFFICES_NOT_RECEIVING}),
    Row("intake", "POST", "/api/v1/guidance", kwargs={"json": {
            "procedure_code": "{procedure_code}", "applicant": {"full_name": "Lê Văn Tám"}}},
        allowed={"counter_right": 201, "counter_other": 403, "counter_center": 201}),
    Row("intake", "GET", "/api/v1/guidance/<slip_id>", "/api/v1/guidance/{guidance_id}",
        allowed={"counter_right": 200, "manager": 200, "counter_other": 404,
                 "counter_center": 200}),
    Row("intake", "POST", "/api/v1/refusals", kwargs={"json": {
            "procedure_code": "{procedure_code}", "applicant": {"full_name": "Lê Văn Tám"},
            "reason": "Không thuộc thẩm quyền."}},
        allowed={"counter_right": 201, "counter_other": 403, "counter_center": 201}),
    Row("intake", "GET", "/api/v1/refusals/<slip_id>", "/api/v1/refusals/{refusal_id}",
        allowed={"counter_right": 200, "manager": 200, "counter_other": 404,
                 "counter_center": 200}),
    Row("intake", "GET", "/api/v1/register",
        allowed={"counter_right": 200, "counter_other": 200, "manager": 200,
                 "counter_center": 200}),
    Row("intake", "GET", "/api/v1/calendar", allowed={"manager": 200}),
    Row("intake", "PUT", "/api/v1/calendar/days/<day>", "/api/v1/calendar/days/2026-12-24",
        kwargs={"json": {"kind": "day_off"}}, allowed={"manager": 200}),
    Row("intake", "DELETE", "/api/v1/calendar/days/<day>", "/api/v1/calendar/days/2026-12-24",
        allowed={"manager": 200}),
    # routing -----------------------------------------------------------------------------
    *ops("routing"),
    Row("routing", "POST", "/api/v1/dossiers/<code>/actions/<action>",
        "/api/v1/dossiers/{code}/actions/accept",
        kwargs={"json": {"processing_unit": "Phòng Hành chính tư pháp"}},
        allowed={"officer_right": 200, "counter_right": 403, "officer_other": 403,
                 "counter_other": 403}),
    Row("routing", "POST", "/api/v1/dossiers/<code>/resubmission",
        "/api/v1/dossiers/{code}/resubmission",
        kwargs={"json": {"secret": "{secret}", "note": "đã bổ sung"}},
        public=409),
    Row("routing", "POST", "/api/v1/dossiers/<code>/withdrawal",
        "/api/v1/dossiers/{code}/withdrawal",
        kwargs={"json": {"secret": "WRONGSECRET", "reason": "không còn nhu cầu"}}, public=404),
    Row("routing", "GET", "/api/v1/dossiers/<code>/forms/<form>",
        "/api/v1/dossiers/{code}/forms/extension",
        allowed={**dept_officers(404, 404, 404), "leader_right": 404, "leader_other": 404,
                 "counter_center": 404}),
    Row("routing", "GET", "/api/v1/my-dossiers",
        allowed={"officer_right": 200, "officer_other": 200, "leader_right": 200,
                 "leader_other": 200}),
    # every officer sees its own agency's inbox; a manager and a center's own staff every one
    Row("routing", "GET", "/api/v1/inbox",
        allowed={**dept_officers(200, 200, 200), "leader_right": 200, "leader_other": 200,
                 "counter_center": 200}),
    Row("routing", "GET", "/api/v1/inbox/<code>", "/api/v1/inbox/{code}",
        allowed={**dept_officers(200, 404, 200), "leader_right": 200, "leader_other": 404,
                 "counter_center": 200}),
    Row("routing", "GET", "/api/v1/dossiers/<code>/handovers", "/api/v1/dossiers/{code}/handovers",
        allowed={**dept_officers(200, 403, 200), "leader_right": 200}),
    Row("routing", "GET", "/api/v1/dossiers/<code>", "/api/v1/dossiers/{code}",
        kwargs={"params": {"secret": "{secret}"}}, public=200),
    Row("routing", "GET", "/api/v1/evaluation-forms", public=200),
    # the dead-letter queue: the manager's alone; a key not in the queue is named
    Row("routing", "GET", "/api/v1/dead-letters", allowed={"manager": 200}),
    Row("routing", "GET", "/api/v1/dead-letters/<key>", "/api/v1/dead-letters/no-such-key",
        allowed={"manager": 404}),
    Row("routing", "POST", "/api/v1/dead-letters/replay",
        kwargs={"json": {"keys": ["no-such-key"]}}, allowed={"manager": 409}),
    Row("routing", "POST", "/api/v1/dead-letters/purge",
        kwargs={"json": {"keys": ["no-such-key"]}}, allowed={"manager": 409}),
    Row("routing", "POST", "/api/v1/dossiers/<code>/evaluation",
        "/api/v1/dossiers/{code}/evaluation",
        kwargs={"json": {"secret": "{secret}", "answers": dict.fromkeys(EVALUATION_ITEMS,
                                                                        "satisfied")}},
        public=409),
    # a counter officer of the center's own staff serves and is evaluated, and gives feedback
    Row("routing", "POST", "/api/v1/counter-evaluations", kwargs={"json": {"level": "satisfied"}},
        allowed={"counter_right": 201, "counter_other": 201, "counter_center": 201}),
    Row("routing", "GET", "/api/v1/evaluations/summary", kwargs=REPORT_PERIOD, public=200),
    Row("routing", "POST", "/api/v1/staff-feedback", kwargs={"json": {
        "answers": {topic: "satisfied" for topic in STAFF_FEEDBACK_TOPICS}}},
        allowed={"counter_right": 201, "counter_other": 201, "counter_center": 201}),
    *[Row("routing", "GET", f"/api/v1/reports/{name}", kwargs=params, allowed={"manager": 200})
      for name, params in (("period", REPORT_PERIOD), ("monthly", {"params": {"month": "2026-01"}}),
                           ("weekly", {"params": {"week_of": "2026-01-05"}}),
                           ("steps", REPORT_PERIOD), ("channels", {}),
                           ("evaluations", REPORT_PERIOD), ("bieu06", REPORT_PERIOD),
                           ("staff-feedback", {"params": {"month": "2026-01"}}))],
    # notify ------------------------------------------------------------------------------
    *ops("notify"),
    Row("notify", "GET", "/api/v1/notify/dlr/<secret>", f"/api/v1/notify/dlr/{DLR_SECRET}",
        kwargs={"params": {"id": "{notification_id}", "type": "8"}}, public=200),
    Row("notify", "GET", "/api/v1/dossiers/<code>/notifications",
        "/api/v1/dossiers/{code}/notifications",
        allowed={**dept_officers(200, 403, 200), "counter_center": 200, "leader_right": 200,
                 "leader_other": 403}),
    Row("notify", "POST", "/api/v1/opt-outs",
        kwargs={"json": {"channel": "email", "address": "someone.else@example.vn"}},
        allowed={"portal": 201, "counter_right": 201, "counter_other": 201, "manager": 201,
                 "counter_center": 201}),
    # payment -----------------------------------------------------------------------------
    *ops("payment"),
    # payment: bills and cash stay with the officers of the dossier's agency
    Row("payment", "GET", "/api/v1/bills", kwargs={"params": {"dossier_code": "{code}"}},
        allowed={"counter_right": 200, "counter_other": 200, "portal": 200, "manager": 200,
                 "counter_center": 200}),
    Row("payment", "GET", "/api/v1/bills/<bill_id>", "/api/v1/bills/{bill_id}",
        allowed={"counter_right": 200, "counter_other": 404, "portal": 200, "manager": 200,
                 "counter_center": 404}),
    Row("payment", "POST", "/api/v1/bills/<bill_id>/payments", "/api/v1/bills/{bill_id}/payments",
        kwargs={"json": {"channel": "cash", "amount": 1000}},
        allowed={"counter_right": 201, "counter_other": 404, "portal": 403,
                 "counter_center": 404}),
    Row("payment", "POST", "/api/v1/bills/<bill_id>/refunds", "/api/v1/bills/{bill_id}/refunds",
        kwargs={"json": {"channel": "cash", "amount": 1000}},
        allowed={"counter_right": 409, "counter_other": 404, "manager": 409,
                 "counter_center": 404}),
    Row("payment", "GET", "/api/v1/receipts/<receipt_id>", "/api/v1/receipts/{receipt_id}",
        allowed={"counter_right": 200, "counter_other": 404, "portal": 200, "manager": 200,
                 "counter_center": 404}),
    Row("payment", "GET", "/api/v1/gateway/vnpay/ipn", public=200),
    Row("payment", "GET", "/api/v1/gateway/vnpay/return", public=400),
    Row("payment", "POST", "/api/v1/gateway/dvcqg/confirm", public=400),
    Row("payment", "POST", "/api/v1/statements",
        kwargs={"params": {"day": "2026-01-05", "channel": "cash", "source": "treasury"},
                "data": "not,a,statement\n"}, allowed={"manager": 422}),
    Row("payment", "GET", "/api/v1/reconciliations/<day>", "/api/v1/reconciliations/2026-01-05",
        allowed={"manager": 404}),
    # postal ------------------------------------------------------------------------------
    *ops("postal"),
    Row("postal", "POST", "/api/v1/post-offices", kwargs={"json": {
        "code": "BD-MOI", "name": "Bưu điện mới", "address": "3 Đường Mới, xã Mẫu",
        "receiving_unit": "000.00.43.H33"}}, allowed={"manager": 201}),
    Row("postal", "GET", "/api/v1/post-offices",
        allowed={"manager": 200, "clerk_right": 200, "clerk_other": 200, "portal": 200}),
    Row("postal", "POST", "/api/v1/delegations", kwargs={"json": {
        "department": "stc", "post_office": OFFICE["code"], "valid_from": "2026-01-01"}},
        allowed={"manager": 201}),
    Row("postal", "POST", "/api/v1/delegations/<int:delegation_id>/end",
        "/api/v1/delegations/{delegation_id}/end",
        kwargs={"json": {"valid_to": "2026-12-31", "reason": "sở bố trí công chức"}},
        allowed={"manager": 200}),
    Row("postal", "GET", "/api/v1/delegations",
        allowed={"manager": 200, "clerk_right": 200, "clerk_other": 200}),
    Row("postal", "PUT", "/api/v1/volumes", kwargs={"json": {"volumes": [
        {"department": OTHER_DEPARTMENT, "month": "2025-01", "dossiers": 12}]}},
        allowed={"manager": 200}),
    Row("postal", "GET", "/api/v1/volumes", allowed={"manager": 200}),
    Row("postal", "POST", "/api/v1/receptions", kwargs={"json": "{dossier_body}"},
        allowed={"clerk_right": 201, "clerk_other": 403}),
    Row("postal", "GET", "/api/v1/receptions", allowed={"clerk_right": 200, "clerk_other": 200}),
    Row("postal", "POST", "/api/v1/pickups", kwargs={"json": {
        "post_office": OFFICE["code"], "pickup_address": "5 Đường Thử, phường Mẫu",
        "dossier": "{dossier_body}"}}, allowed={"portal": 201}),
    Row("postal", "GET", "/api/v1/pickups", allowed={"clerk_right": 200, "clerk_other": 200}),
    Row("postal", "POST", "/api/v1/pickups/<pickup_id>/collected",
        "/api/v1/pickups/{pickup_id}/collected", allowed={"clerk_right": 200, "clerk_other": 404}),
    Row("postal", "POST", "/api/v1/pickups/<pickup_id>/received",
        "/api/v1/pickups/{pickup_id}/received", allowed={"clerk_right": 201, "clerk_other": 404}),
    # the applicant's own, through the desk's citizen token: no staff token opens it
    Row("postal", "GET", "/api/v1/dossiers/<code>/shipment", "/api/v1/dossiers/{code}/shipment"),
    Row("postal", "GET", "/api/v1/shipments",
        allowed={"manager": 200, "clerk_right": 200, "clerk_other": 200}),
    Row("postal", "GET", "/api/v1/shipments/<tracking_number>",
        "/api/v1/shipments/{tracking_number}",
        allowed={"manager": 200, "clerk_right": 200, "clerk_other": 404}),
    Row("postal", "POST", "/api/v1/shipments/<tracking_number>/events",
        "/api/v1/shipments/{tracking_number}/events", kwargs={"json": {"event": "picked_up"}},
        allowed={"clerk_right": 201, "clerk_other": 404}),
    Row("postal", "POST", "/api/v1/tracking-imports", kwargs={
        "json": [{"tracking_number": "{tracking_number}", "event": "in_transit",
                  "at": "2026-01-05T09:00:00+07:00"}]},
        allowed={"manager": 200, "clerk_right": 200, "clerk_other": 200}),
    Row("postal", "GET", "/api/v1/reports", kwargs={"params": {"from": "2026-01", "to": "2026-02"}},
        allowed={"manager": 200}),
    # desk: its pages are HTML behind its own sessions (tests/desk, tests/browser)
    *ops("desk"),
    # nationalportal ----------------------------------------------------------------------
    *ops("nationalportal"),
    Row("nationalportal", "POST", "/api/v1/inbound/polls", allowed={"manager": 200}),
    Row("nationalportal", "GET", "/api/v1/inbound", allowed={"manager": 200}),
    Row("nationalportal", "GET", "/api/v1/sync", allowed={"manager": 200}),
    Row("nationalportal", "GET", "/api/v1/sync/dossiers/<code>",
        "/api/v1/sync/dossiers/H00-000000-0000", allowed={"manager": 404}),
    Row("nationalportal", "POST", "/api/v1/sync/dossiers/<code>/retry",
        "/api/v1/sync/dossiers/H00-000000-0000/retry", allowed={"manager": 404}),
    Row("nationalportal", "POST", "/api/v1/reconciliations",
        kwargs={"json": {"since": "2026-01-01T00:00:00+07:00"}}, allowed={"manager": 200}),
    Row("nationalportal", "POST", "/api/v1/catalogue-checks", allowed={"manager": 200}),
    Row("nationalportal", "POST", "/api/v1/rating-summaries", kwargs={"json": {"month": "2026-01"}},
        allowed={"manager": 200}),
    *ops("docstore"),
    # a document of the right department's counter, still awaiting its file: visible to that
    # agency's staff and the manager (a file not signed yet is 409), unknown to the others
    Row("docstore", "POST", "/api/v1/documents", kwargs={"json": {
        "document_type": "don_de_nghi", "title": "Đơn đề nghị", "owner": {"id": "079301004567"},
        "department": DEPARTMENT}},
        allowed={"counter_right": 201, "counter_center": 201, "manager": 201,
                 "counter_other": 403, "officer_right": 403, "officer_other": 403,
                 "leader_right": 403, "leader_other": 403}),
    Row("docstore", "PUT", "/api/v1/documents/<document_id>/content",
        "/api/v1/documents/{document_id}/content",
        allowed={**DOCUMENT_STAFF, **{role: 422 for role in DOCUMENT_SEERS}}),
    Row("docstore", "GET", "/api/v1/documents/<document_id>", "/api/v1/documents/{document_id}",
        allowed={**DOCUMENT_STAFF, **{role: 200 for role in DOCUMENT_SEERS}}),
    Row("docstore", "GET", "/api/v1/documents/<document_id>/file",
        "/api/v1/documents/{document_id}/file",
        allowed={**DOCUMENT_STAFF, **{role: 409 for role in DOCUMENT_SEERS}}),
    Row("docstore", "GET", "/api/v1/documents/<document_id>/pages/<int:page>/thumbnail",
        "/api/v1/documents/{document_id}/pages/1/thumbnail",
        allowed={**DOCUMENT_STAFF, **{role: 409 for role in DOCUMENT_SEERS}}),
    Row("docstore", "GET", "/api/v1/documents/<document_id>/verification",
        "/api/v1/documents/{document_id}/verification",
        allowed={**DOCUMENT_STAFF, **{role: 409 for role in DOCUMENT_SEERS}}),
    # a remote signer's two phases: the signers among those who see it learn it awaits none
    Row("docstore", "GET", "/api/v1/documents/<document_id>/signing-request",
        "/api/v1/documents/{document_id}/signing-request", allowed=DOCUMENT_SIGNERS),
    Row("docstore", "PUT", "/api/v1/documents/<document_id>/signature",
        "/api/v1/documents/{document_id}/signature",
        kwargs={"json": {"signature": "MEUCIQDh9pZ7oQ=="}}, allowed=DOCUMENT_SIGNERS),
    Row("docstore", "GET", "/api/v1/dossiers/<code>/documents", "/api/v1/dossiers/{code}/documents",
        allowed={role: 200 for role in DOCUMENT_STAFF}),
    # the citizen with the receipt's secret, staff by token: no result issued yet
    Row("docstore", "GET", "/api/v1/dossiers/<code>/result", "/api/v1/dossiers/{code}/result",
        allowed={role: 404 for role in DOCUMENT_STAFF}),
    Row("docstore", "POST", "/api/v1/reuse-offers", kwargs={"json": {
        "owner_id": "079301004567", "document_type": "don_de_nghi"}},
        allowed={"counter_right": 200, "counter_other": 200, "counter_center": 200}),
    # not signed yet: nothing to reuse
    Row("docstore", "POST", "/api/v1/documents/<document_id>/reuse",
        "/api/v1/documents/{document_id}/reuse", kwargs={"json": {"owner_id": "079301004567"}},
        allowed={"counter_right": 404, "counter_other": 404, "counter_center": 404}),
    Row("docstore", "GET", "/api/v1/reports", kwargs={"params": {"from": "2026-01", "to": "2026-02"}},
        allowed={"manager": 200}),
]


def declared_endpoints():
    return {(service, endpoint.method, endpoint.url)
            for service in SERVICE_NAMES
            for _, _, endpoint in endpoints(service_class(service))}


def test_the_table_covers_every_endpoint_of_every_service():
    rows = [(row.service, row.method, row.url) for row in TABLE]
    assert len(rows) == len(set(rows)), "an endpoint has two rows"
    declared = declared_endpoints()
    assert set(SERVICE_NAMES) == {"intake", "routing", "notify", "payment", "postal", "desk",
                                  "nationalportal", "docstore"}
    assert declared - set(rows) == set(), "endpoints without a row in the matrix"
    assert set(rows) - declared == set(), "rows for endpoints that no longer exist"


def fill(value, ids):
    """{placeholders} of world.ids in a path, params or a JSON body."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def test_every_endpoint_answers_every_caller_as_the_matrix_says(world):
    assert world.ids["code"] and DEPARTMENT != OTHER_DEPARTMENT
    wrong, checked = [], 0
    for row in TABLE:
        path = fill(row.path or row.url, world.ids)
        # denied callers first: what they try must change nothing the allowed ones then see;
        # a caller allowed in but refused for the resource's state (409) goes in its turn
        order = sorted(ROLES, key=lambda role: (row.expected(role) not in DENIED,
                                                ROLES.index(role)))
        for role in order:
            response = world.call(row.service, row.method, path, role, **fill(row.kwargs,
                                                                               world.ids))
            checked += 1
            if response.status_code != row.expected(role):
                wrong.append(f"{row.service} {row.method} {row.url} as {role}: "
                             f"{response.status_code} (expected {row.expected(role)}) "
                             f"{response.text[:160]}")
    print(f"authorisation matrix: {len(TABLE)} endpoints x {len(ROLES)} callers = "
          f"{checked} cells checked, {len(wrong)} wrong")
    assert not wrong, "\n".join(wrong)
