"""500s the fuzzers found, kept as plain regression tests against the running services."""
from services.common.contracts import EVALUATION_ITEMS
from tests.conftest import query, wait_for
from tests.security.conftest import OFFICE


def test_nul_in_a_url_or_a_body_is_a_4xx_never_a_500(world, db):
    """PostgreSQL text and jsonb cannot hold NUL; schemathesis found it as a 500 on
    GET /api/v1/procedures?department=...%00... Now a 4xx everywhere, and nothing stored."""
    code = world.ids["code"]
    requests = [
        ("intake", "GET", "/api/v1/procedures", "manager", {"params": {"department": "st\x00p"}}),
        ("intake", "GET", "/api/v1/procedures/1.00%00", None, {}),
        ("routing", "GET", f"/api/v1/dossiers/{code}%00", None, {"params": {"secret": "A"}}),
        ("routing", "GET", f"/api/v1/dossiers/{code}", None, {"params": {"secret": "A\x00"}}),
        ("payment", "GET", "/api/v1/bills", "manager", {"params": {"dossier_code": "x\x00"}}),
        ("postal", "GET", "/api/v1/shipments/RM%00", "manager", {}),
        ("intake", "POST", "/api/v1/dossiers", "counter_right",
         {"json": dict(world.ids["dossier_body"], applicant={
             **world.ids["dossier_body"]["applicant"], "address": "Số 1\x00 Lê Lợi"})}),
        ("postal", "POST", "/api/v1/pickups", "portal", {"json": {
            "post_office": OFFICE["code"], "pickup_address": "5 Đường Thử, phường Mẫu",
            "dossier": dict(world.ids["dossier_body"], applicant={"full_name": "A\x00"})}}),
        ("notify", "POST", "/api/v1/opt-outs", "portal",
         {"json": {"channel": "email", "address": "a\x00@example.vn"}}),
        ("postal", "POST", "/api/v1/tracking-imports", "manager", {
            "data": "tracking_number,event,at\nRM\x001,picked_up,2026-01-05T09:00:00+07:00\n",
            "headers": {"Content-Type": "text/csv"}}),
        ("postal", "POST", "/api/v1/tracking-imports", "manager", {"json": [
            {"tracking_number": "RM\x00", "event": "picked_up",
             "at": "2026-01-05T09:00:00+07:00"}]}),
        ("payment", "POST", "/api/v1/statements", "manager", {
            "params": {"day": "2026-01-05", "channel": "cash", "source": "treasury"},
            "data": b"reference,amount\nR\x001,1000\n"}),
    ]
    pickups_before = query(db, "SELECT count(*) AS n FROM postal.pickups")[0]["n"]
    answers = []
    for service, method, path, role, kwargs in requests:
        response = world.call(service, method, path, role, **kwargs)
        answers.append((service, method, path, response.status_code, response.text[:200]))
    server_errors = [answer for answer in answers if answer[3] >= 500]
    assert not server_errors
    assert all(400 <= answer[3] < 500 or answer[2] == "/api/v1/tracking-imports"
               for answer in answers), answers
    assert query(db, "SELECT count(*) AS n FROM postal.pickups")[0]["n"] == pickups_before


def test_a_tracking_number_with_a_non_ascii_digit_is_refused_not_a_500(world):
    """hypothesis found it: "²".isdigit() is true but int("²") raises."""
    mistyped = "RM1234567\u00b28VN"
    update = world.call("postal", "POST", f"/api/v1/shipments/{mistyped}/events", "clerk_right",
                        json={"event": "picked_up"})
    assert update.status_code == 422, update.text
    assert "tracking_number" in update.json()["error"]["fields"]
    imported = world.call("postal", "POST", "/api/v1/tracking-imports", "manager", json=[
        {"tracking_number": mistyped, "event": "picked_up", "at": "2026-01-05T09:00:00+07:00"}])
    assert imported.status_code == 200, imported.text
    assert [row["row"] for row in imported.json()["rejected"]] == [1]


def test_a_month_outside_the_calendar_is_refused_not_a_500(world):
    """schemathesis found GET /api/v1/reports/monthly?month=0000-01 answering 500 (year 0);
    9999-12 overflowed the same way and Unicode digits passed the pattern ("\\d")."""
    for month in ("0000-01", "9999-12", "\u0662\u0660\u0662\u0666-01"):
        asked = [
            world.call("routing", "GET", "/api/v1/reports/monthly", "manager",
                       params={"month": month}),
            world.call("postal", "GET", "/api/v1/reports", "manager",
                       params={"from": month, "to": month}),
            world.call("postal", "PUT", "/api/v1/volumes", "manager", json={"volumes": [
                {"department": "ca", "month": month, "dossiers": 1}]}),
        ]
        assert [response.status_code for response in asked] == [422, 422, 422], month


def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_500(world):
    """schemathesis found GET /api/v1/reports/period?start=0001-01-01&end=0001-01-01 answering
    500: date arithmetic overflowed."""
    for day in ("0001-01-01", "9999-12-31"):
        asked = {
            "period": world.call("routing", "GET", "/api/v1/reports/period", "manager",
                                 params={"start": day, "end": day}),
            "steps": world.call("routing", "GET", "/api/v1/reports/steps", "manager",
                                params={"start": day, "end": day}),
            "weekly": world.call("routing", "GET", "/api/v1/reports/weekly", "manager",
                                 params={"week_of": day}),
            "channels": world.call("routing", "GET", "/api/v1/reports/channels", "manager",
                                   params={"since": day, "until": day}),
        }
        assert {name: r.status_code for name, r in asked.items() if r.status_code >= 500} == {}


def test_a_report_over_thousands_of_years_is_refused_at_once(world):
    """schemathesis timed out on GET /api/v1/reports/period?start=0335-04-11&end=5317-09-15:
    the report walked five thousand years of days."""
    for path in ("/api/v1/reports/period", "/api/v1/reports/steps"):
        asked = world.call("routing", "GET", path, "manager",
                           params={"start": "0335-04-11", "end": "5317-09-15"})
        assert asked.status_code == 422, (path, asked.text)
        assert "tối đa 3660 ngày" in asked.json()["error"]["fields"]["end"][0]


def test_a_monthly_volume_too_big_for_the_database_is_refused_not_a_500(world):
    """schemathesis found PUT /api/v1/volumes with 801355959593567879631470592 dossiers
    answering 500 (PostgreSQL integer out of range)."""
    recorded = world.call("postal", "PUT", "/api/v1/volumes", "manager", json={"volumes": [
        {"department": "ca", "month": "2026-01", "dossiers": 801355959593567879631470592}]})
    assert recorded.status_code == 422, recorded.text
    assert "volumes.0.dossiers" in recorded.json()["error"]["fields"]


def test_times_in_answers_are_rfc3339_as_documented(world):
    """schemathesis (response conformance) found notify's notification times written with a
    space ("2026-11-23 19:04:54+07:00") where the documented date-time has a T."""
    listed = world.call("notify", "GET", f"/api/v1/dossiers/{world.ids['code']}/notifications",
                        "manager")
    created = [row["created_at"] for row in listed.json()["notifications"]]
    assert created and all("T" in at for at in created), created


LONE_SURROGATE = "\ud800"  # valid JSON ("\ud800"), no UTF-8 form: PostgreSQL cannot store it


def test_a_lone_surrogate_anywhere_is_a_422_naming_the_field_never_a_500(world, db):
    """A sweep of the write endpoints found 500s (UnicodeEncodeError at psycopg2 and at the
    lookup's proof hash) for a lone surrogate in intake, routing and postal bodies."""
    code, body = world.ids["code"], world.ids["dossier_body"]
    month = "2026-01"
    requests = [
        ("intake", "POST", "/api/v1/dossiers", "counter_right",
         {**body, "procedure_code": LONE_SURROGATE}, "procedure_code"),
        ("intake", "POST", "/api/v1/dossiers", "counter_right",
         {**body, "applicant": {**body["applicant"], "address": "Số 1" + LONE_SURROGATE}},
         "applicant.address"),
        ("routing", "POST", f"/api/v1/dossiers/{code}/actions/accept", "officer_right",
         {"processing_unit": LONE_SURROGATE}, "processing_unit"),
        ("postal", "POST", "/api/v1/delegations", "manager",
         {"post_office": OFFICE["code"], "department": LONE_SURROGATE,
          "valid_from": "2026-01-05"}, "department"),
        ("postal", "POST", "/api/v1/pickups", "portal",
         {"post_office": OFFICE["code"], "pickup_address": LONE_SURROGATE, "dossier": body},
         "pickup_address"),
        ("postal", "POST", "/api/v1/receptions", "clerk_right",
         {**body, "procedure_code": LONE_SURROGATE}, "procedure_code"),
        ("postal", "PUT", "/api/v1/volumes", "manager",
         {"volumes": [{"department": LONE_SURROGATE, "month": month, "dossiers": 1}]},
         "volumes.0.department"),
    ]
    answers = []
    for service, method, path, role, json_body, field_name in requests:
        response = world.call(service, method, path, role, json=json_body)
        fields = response.json().get("error", {}).get("fields", {})
        answers.append((service, path, response.status_code, field_name in fields))
    assert answers == [(s, p, 422, True) for s, p, *_ in answers]


EVALUATION = {"answers": dict.fromkeys(EVALUATION_ITEMS, "satisfied")}


def test_the_citizen_endpoints_answer_alike_for_a_known_and_an_unknown_code(world):
    """A stranger must not learn which dossier codes exist, whatever the secret holds."""
    known, unknown = world.ids["code"], "000.00.01.H33-991231-9999"
    for secret in (LONE_SURROGATE, "A\x00", "SAIMATMA", "x" * 300, ""):
        for action, json_body in (("withdrawal", {"secret": secret}),
                                  ("resubmission", {"secret": secret}),
                                  ("evaluation", {"secret": secret, **EVALUATION})):
            answers = [world.call("routing", "POST", f"/api/v1/dossiers/{code}/{action}",
                                  json=json_body) for code in (known, unknown)]
            statuses = [answer.status_code for answer in answers]
            assert statuses[0] == statuses[1] and statuses[0] < 500, (action, secret, statuses)
            assert answers[0].json() == answers[1].json(), (action, secret)


def test_a_correlation_id_that_cannot_travel_in_an_event_is_replaced_not_a_stuck_relay(world, db):
    """The hostile-text fuzzing found a 4,000-byte X-Correlation-Id stored with the dossier's
    event: the relay could not publish it (an AMQP short string holds 255 bytes) and every
    later event of intake waited behind it. Such an id is now replaced at the boundary."""
    body = world.ids["dossier_body"]
    for given in ("x" * 4000, "Đ" * 100, "id with spaces", "tương-quan"):
        submitted = world.call("intake", "POST", "/api/v1/dossiers", "counter_right", json=body,
                               headers={"X-Correlation-Id": given.encode()})
        assert submitted.status_code == 201, submitted.text
        replaced = submitted.headers["X-Correlation-Id"]
        assert len(replaced) == 36, replaced[:60]  # a new UUID
        code = submitted.json()["code"]
        wait_for(lambda code=code: query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s",
                                         (code,)))
    plain = world.call("intake", "POST", "/api/v1/dossiers", "counter_right", json=body,
                       headers={"X-Correlation-Id": "portal-2026-000123"})
    assert plain.headers["X-Correlation-Id"] == "portal-2026-000123"


def test_a_time_zone_no_clock_has_is_refused_not_a_500(world):
    """The fuzzing found POST /api/v1/shipments/<tracking_number>/events with
    at=2000-01-07T06:22:48+18:41 answering 500: Python reads offsets up to ±23:59, PostgreSQL
    refuses them past ±15:59."""
    at = "2000-01-07T06:22:48+18:41"
    tracking = world.ids["tracking_number"]
    update = world.call("postal", "POST", f"/api/v1/shipments/{tracking}/events", "clerk_right",
                        json={"event": "picked_up", "at": at})
    assert update.status_code == 422, update.text
    assert "at" in update.json()["error"]["fields"]
    imported = world.call("postal", "POST", "/api/v1/tracking-imports", "manager", json=[
        {"tracking_number": tracking, "event": "picked_up", "at": at}])
    assert imported.status_code == 200, imported.text
    assert [row["row"] for row in imported.json()["rejected"]] == [1]


def test_a_rejected_row_names_its_tracking_number_only_as_text(world):
    """schemathesis (response conformance) found a rejected row of the carrier's JSON file
    echoing its tracking_number as sent (true) where the answer documents a string or null."""
    imported = world.call("postal", "POST", "/api/v1/tracking-imports", "manager", json=[
        {"tracking_number": True, "event": "picked_up", "at": "2026-01-05T09:00:00+07:00"},
        {"tracking_number": "RM1VN", "event": "picked_up", "at": "2026-01-05T09:00:00+07:00"}])
    assert imported.status_code == 200, imported.text
    assert [row["tracking_number"] for row in imported.json()["rejected"]] == [None, "RM1VN"]
