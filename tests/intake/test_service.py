"""intake in a nameko container on the real PostgreSQL and RabbitMQ."""
import copy
import re

import pytest

from services.common.errors import Invalid, NotFound, Unavailable
from services.intake.service import IntakeService
from services.intake.store import save_catalogue
from tests.conftest import CATALOGUE, Client, dossier_body, procedure, query, token, wait_for


def code_of(department):
    """A dossier code of the agency: its identifier, the day, the day's number."""
    return re.compile(rf"^{re.escape(CATALOGUE['departments'][department]['identifier'])}"
                      r"-\d{6}-\d{4}$")


@pytest.fixture
def intake(container_factory, config_for, client_for):
    config = config_for("intake")
    container_factory(IntakeService, config).start()
    return client_for(config)


def counter(department):
    return token("counter_officer", department=department, subject=f"canbo.{department}")


def count(db, table):
    return query(db, f"SELECT count(*) AS n FROM {table}")[0]["n"]


def received_events(db):
    """dossier.received in intake's outbox (beside it: the calendar's first announcement)."""
    return query(db, "SELECT routing_key, body FROM intake.outbox"
                     " WHERE routing_key = 'dossier.received' ORDER BY seq")


def test_counter_submission_is_numbered_stored_with_receipt_and_event(intake, db):
    proc = procedure(department="stp")
    response = intake.post("/api/v1/dossiers", token=counter("stp"), json=dossier_body(proc))
    assert response.status_code == 201, response.text
    created = response.json()
    assert code_of("stp").match(created["code"]) and created["code"].endswith("-0001")
    assert len(created["lookup_secret"]) == 8 and created["due_at"] > created["received_at"][:10]
    [event] = received_events(db)
    assert event["body"]["data"]["code"] == created["code"]
    assert event["body"]["data"]["procedure"]["department"] == "stp"
    receipt = intake.get(f"/api/v1/dossiers/{created['code']}/receipt?format=html",
                         token=counter("stp"))
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt.text
    assert created["code"] in receipt.text
    as_json = intake.get(f"/api/v1/dossiers/{created['code']}/receipt", token=counter("stp"))
    assert as_json.json()["code"] == created["code"]
    assert intake.get(f"/api/v1/dossiers/{created['code']}/receipt?format=pdf",
                      token=counter("stp")).status_code == 422
    assert intake.get(f"/api/v1/dossiers/{created['code']}/receipt", token=counter("syt")
                      ).status_code == 404
    second = intake.post("/api/v1/dossiers", token=counter("stp"), json=dossier_body(proc))
    assert second.json()["code"].endswith("-0002")


def test_idempotency_key_returns_same_dossier_and_refuses_other_body(intake, db):
    proc = procedure(department="syt")
    body = dossier_body(proc)
    headers = {"Idempotency-Key": "quay-3-0001"}
    first = intake.post("/api/v1/dossiers", token=counter("syt"), json=body, headers=headers)
    again = intake.post("/api/v1/dossiers", token=counter("syt"), json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["code"] == first.json()["code"]
    other = dict(body, applicant={**body["applicant"], "address": "Số 2 Lê Lợi, phường Khác"})
    conflict = intake.post("/api/v1/dossiers", token=counter("syt"), json=other, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"
    assert count(db, "intake.dossiers") == 1 and len(received_events(db)) == 1


def submit_concurrently(intake, count, headers=None, department="stp"):
    """`count` submissions at once, each on its own connection; their answers."""
    import eventlet

    proc = procedure(department=department)
    address = intake.base.removeprefix("http://")

    def submit(_):
        return Client(address).post("/api/v1/dossiers", token=counter(department),
                                    json=dossier_body(proc), headers=dict(headers or {}))

    return list(eventlet.GreenPool(count).imap(submit, range(count)))


def test_concurrent_receptions_get_consecutive_numbers_without_gaps(intake, db):
    answers = submit_concurrently(intake, 40)
    assert [a.status_code for a in answers] == [201] * 40
    numbers = sorted(int(a.json()["code"][-4:]) for a in answers)
    assert numbers == list(range(1, 41))
    stored = query(db, "SELECT d.code, o.body FROM intake.dossiers d"
                       " JOIN intake.outbox o ON o.body->>'dossier_code' = d.code")
    assert len(stored) == 40
    assert all(row["body"]["data"]["code"] == row["code"] for row in stored)
    # the register's entries (Mẫu 07) of the counter's book that day: 1 to 40 as well
    entries = query(db, "SELECT register_entry FROM intake.dossiers ORDER BY register_entry")
    assert [row["register_entry"] for row in entries] == list(range(1, 41))
    assert query(db, "SELECT last_entry FROM intake.register_books") == [{"last_entry": 40}]


def test_the_day_s_last_number_is_9999_then_a_503_and_nothing_stored(intake, db):
    proc = procedure(department="stp")
    first = intake.post("/api/v1/dossiers", token=counter("stp"), json=dossier_body(proc))
    assert first.status_code == 201
    db.cursor().execute("UPDATE intake.daily_sequences SET last_number = 9998")
    last = intake.post("/api/v1/dossiers", token=counter("stp"), json=dossier_body(proc))
    assert last.json()["code"].endswith("-9999")
    refused = intake.post("/api/v1/dossiers", token=counter("stp"), json=dossier_body(proc))
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "numbers_exhausted"
    assert "9999" in refused.json()["error"]["message"]
    assert count(db, "intake.dossiers") == 2 and len(received_events(db)) == 2
    # the refused reception took no entry in the register either
    assert query(db, "SELECT last_entry FROM intake.register_books") == [{"last_entry": 2}]


def test_the_same_idempotency_key_sent_at_once_makes_one_dossier(intake, db):
    answers = submit_concurrently(intake, 8, headers={"Idempotency-Key": "quay-1-lan-1"})
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["code"] for a in answers}) == 1
    assert count(db, "intake.dossiers") == 1 and len(received_events(db)) == 1
    assert query(db, "SELECT last_number FROM intake.daily_sequences")[0]["last_number"] == 1
    assert query(db, "SELECT last_entry FROM intake.register_books")[0]["last_entry"] == 1


def bad_requests():
    proc = procedure(department="stp")
    valid = dossier_body(proc)
    return [
        ("malformed json", counter("stp"), b"{not json", 400, "malformed_json"),
        ("json array", counter("stp"), b"[]", 400, "malformed_json"),
        ("deeply nested", counter("stp"), b"[" * 60000 + b"]" * 60000, 413, "body_too_large"),
        ("nested within limit", counter("stp"), b'{"a":' * 10000 + b"1" + b"}" * 2000, 400,
         "malformed_json"),
        ("oversized", counter("stp"), b'{"x": "' + b"a" * 70000 + b'"}', 413, "body_too_large"),
        ("wrong types", counter("stp"), {**valid, "documents": "all"}, 422, "documents"),
        ("unknown field", counter("stp"), {**valid, "is_admin": True}, 422, "is_admin"),
        ("unknown procedure", counter("stp"), {**valid, "procedure_code": "9.999999"}, 422,
         "procedure_code"),
        ("missing documents", counter("stp"), {**valid, "documents": []}, 422, "documents"),
        ("other department", counter("syt"), valid, 403, "forbidden"),
        ("no token", None, valid, 401, "unauthenticated"),
        ("wrong role", token("manager"), valid, 403, "forbidden"),
        ("online dossiers await reception", token("portal"), valid, 403, "forbidden"),
    ]


@pytest.mark.parametrize("label,auth,body,status,named", bad_requests(),
                         ids=[case[0] for case in bad_requests()])
def test_bad_input_is_a_clear_4xx_and_nothing_is_stored(intake, db, label, auth, body, status,
                                                        named):
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    response = intake.post("/api/v1/dossiers", token=auth, **kwargs)
    assert response.status_code == status, response.text
    assert named in response.text
    assert count(db, "intake.dossiers") == 0 and received_events(db) == []


def test_missing_documents_are_each_named(intake):
    proc = procedure(department="stp")
    mandatory = [d for d in proc["documents"] if d["mandatory"]]
    body = dossier_body(proc, documents=[{"key": mandatory[0]["key"]}])
    response = intake.post("/api/v1/dossiers", token=counter("stp"), json=body)
    problems = response.json()["error"]["fields"]["documents"]
    assert len(problems) == len(mandatory) - 1
    for doc in mandatory[1:]:
        assert any(doc["name"] in p for p in problems)


def test_procedures_are_listed_and_found(intake):
    listed = intake.get("/api/v1/procedures?department=sxd").json()
    assert listed["count"] >= 2 and all(p["department"] == "sxd" for p in listed["procedures"])
    code = listed["procedures"][0]["code"]
    assert intake.get(f"/api/v1/procedures/{code}").json()["code"] == code
    assert intake.get("/api/v1/procedures/9.999999").status_code == 404
    assert intake.get("/api/v1/procedures?channel=fax").status_code == 422


@pytest.fixture
def intake_rpc(container_factory, config_for):
    from nameko.standalone.rpc import ServiceRpcProxy

    config = config_for("intake")
    container_factory(IntakeService, config).start()
    with ServiceRpcProxy("intake", config) as proxy:
        yield proxy


POST_OFFICE_CLERK = {"kind": "postal_clerk", "id": "buudien.01", "post_office": "BDT-TT",
                     "receiving_unit": "000.21.31.H33"}


def test_post_office_registers_through_rpc_as_the_receiving_unit_of_the_agency_s_code(
        intake_rpc, db):
    proc = procedure(channel="postal")
    answer = intake_rpc.register_dossier(dossier_body(proc), POST_OFFICE_CLERK, "corr-rpc")
    assert code_of(proc["department"]).match(answer["dossier"]["code"])
    assert answer["dossier"]["channel"] == "postal"
    [row] = query(db, "SELECT channel, receiver, receiving_unit, center FROM intake.dossiers")
    assert row["channel"] == "postal" and row["receiver"]["post_office"] == "BDT-TT"
    assert (row["receiving_unit"], row["center"]) == ("000.21.31.H33", None)
    [event] = received_events(db)
    assert event["body"]["dossier_code"] == event["body"]["data"]["code"] == \
        answer["dossier"]["code"]
    assert event["body"]["data"]["receiving_unit"] == "000.21.31.H33"


@pytest.mark.parametrize("change,named", [
    ({"documents": []}, "documents"),
    ({"procedure_code": "9.999999"}, "procedure_code"),
    ({"applicant": {"full_name": "A"}}, "applicant.citizen_id"),
])
def test_a_dossier_refused_by_rpc_raises_the_kernel_s_invalid_naming_the_field(
        intake_rpc, db, change, named):
    body = {**dossier_body(procedure(channel="postal")), **change}
    with pytest.raises(Invalid) as refused:
        intake_rpc.register_dossier(body, POST_OFFICE_CLERK, "corr-rpc")
    assert named in refused.value.fields
    assert count(db, "intake.dossiers") == 0


def test_a_bad_receiver_is_invalid(intake_rpc):
    with pytest.raises(Invalid) as refused:
        intake_rpc.register_dossier(dossier_body(procedure(channel="postal")),
                                    {**POST_OFFICE_CLERK, "kind": "manager"}, "corr-rpc")
    assert "kind" in refused.value.fields


def test_the_post_office_s_numbers_exhausted_is_the_kernel_s_unavailable(intake_rpc, db):
    proc = procedure(channel="postal")
    intake_rpc.register_dossier(dossier_body(proc), POST_OFFICE_CLERK, "corr-rpc")
    db.cursor().execute("UPDATE intake.daily_sequences SET last_number = 9999")
    with pytest.raises(Unavailable) as refused:
        intake_rpc.register_dossier(dossier_body(proc), POST_OFFICE_CLERK, "corr-rpc")
    assert "9999" in refused.value.message
    assert count(db, "intake.dossiers") == 1


def test_the_catalogue_by_rpc_answers_as_over_http(intake_rpc, intake):
    code = procedure(department="sxd")["code"]
    assert intake_rpc.get_procedure(code) == intake.get(f"/api/v1/procedures/{code}").json()
    assert intake_rpc.list_procedures() == intake.get("/api/v1/procedures").json()
    assert intake_rpc.list_procedures("sxd", "online") == \
        intake.get("/api/v1/procedures?department=sxd&channel=online").json()
    with pytest.raises(NotFound):
        intake_rpc.get_procedure("9.999999")
    with pytest.raises(Invalid) as refused:
        intake_rpc.list_procedures(channel="fax")
    assert "channel" in refused.value.fields


def test_a_citizen_flooding_the_portal_is_slowed_with_429_and_nothing_stored(
        container_factory, config_for, client_for, db):
    config = config_for("intake", RATE_LIMIT_CITIZEN_SUBMISSIONS="3/60",
                        RATE_LIMIT_OFFICER_SUBMISSIONS="2/60")
    container_factory(IntakeService, config).start()
    intake = client_for(config)
    proc = procedure(channel="online")
    statuses = [intake.post("/api/v1/submissions", token=token("portal"),
                            json=dossier_body(proc)).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    other_citizen = dossier_body(proc)
    other_citizen["applicant"] = dict(other_citizen["applicant"], citizen_id="001099000777")
    assert intake.post("/api/v1/submissions", token=token("portal"),
                       json=other_citizen).status_code == 201
    officer = counter(proc["department"])
    answers = [intake.post("/api/v1/dossiers", token=officer, json=dossier_body(proc))
               for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert count(db, "intake.submissions") == 4 and count(db, "intake.dossiers") == 2


def test_a_database_outage_is_a_503_with_retry_after_not_a_500(container_factory, config_for,
                                                               client_for):
    config = config_for("intake", DB_URL="postgresql://postgres@127.0.0.1:1/unreachable")
    container_factory(IntakeService, config).start()
    response = client_for(config).post("/api/v1/dossiers", token=counter("stp"),
                                       json=dossier_body(procedure(department="stp")))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "2"


@pytest.fixture
def catalogue_restored(db):
    yield
    with db.cursor() as cur:
        save_catalogue(cur, CATALOGUE)


def counter_submission(intake, proc):
    return intake.post("/api/v1/dossiers", token=counter(proc["department"]),
                       json=dossier_body(proc))


def test_a_catalogue_load_reaches_a_running_intake_that_kept_the_procedure(intake, db,
                                                                          catalogue_restored):
    proc = procedure(department="stp")
    assert counter_submission(intake, proc).status_code == 201  # read, and kept
    online_only = copy.deepcopy(CATALOGUE)
    online_only["procedures"][proc["code"]]["channels"] = ["online"]
    with db.cursor() as cur:
        save_catalogue(cur, online_only)
    wait_for(lambda: counter_submission(intake, proc).status_code == 422, timeout=5)


def test_a_change_missed_while_the_listener_was_disconnected_is_not_served_from_memory(
        intake, db, catalogue_restored):
    proc = procedure(department="stp")
    assert counter_submission(intake, proc).status_code == 201  # read, and kept
    # a change no notification tells of, as one made while intake was not listening
    query(db, """UPDATE intake.procedures SET data = jsonb_set(data, '{channels}', '["online"]')
                  WHERE code = %s RETURNING code""", (proc["code"],))
    assert counter_submission(intake, proc).status_code == 201  # still the kept copy
    [listener] = query(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                           " application_name = 'intake listener' AND datname = current_database()")
    assert listener["pg_terminate_backend"]
    wait_for(lambda: counter_submission(intake, proc).status_code == 422, timeout=5)
