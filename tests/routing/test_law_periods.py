"""Decree 118/2025 art. 19 and 21 through routing's HTTP API and its deadline watch, with the
worked dates of issue #23 (the reception day is day 0): the supplement asked by the 3rd
working day and once, the period restarted from zero by the complete dossier, the dossier
closed 15 days after an unanswered supplement notice, the one extension asked by the last
working day before the due date, consultations answered late, the applicant's stop from any
open status with its notice (Mẫu 05), and the forms routing prints."""
from datetime import date

import pytest
from nameko.testing.services import entrypoint_hook

from tests.conftest import query, token
from tests.routing.lifecycle_helpers import (
    act,
    assert_documented,
    at,
    counter,
    officer,
    outbox,
    receive,
    start_routing,
    status_of,
)

FIVE_DAYS = "1.002856"    # sxd, 5 working days
INTERAGENCY = "1.009794"  # sxd leads, ca and snnmt cooperate; 25 working days
MISSING = {"documents": [{"name": "Bản sao giấy đăng ký kinh doanh", "note": "có chứng thực"}],
           "reason": "thiếu giấy đăng ký kinh doanh"}


@pytest.fixture
def routing(container_factory, config_for, client_for, topology):
    return start_routing(container_factory, config_for, client_for, topology)


def lead():
    return officer("sxd")


def tick(routing, when):
    """The deadline watch as routing's timer runs it, at `when`."""
    routing.clock.pinned = when
    with entrypoint_hook(routing.container, "watch_deadlines") as watch:
        watch()


def accepted(db, routing, received, due, secret="SECRET01", procedure=FIVE_DAYS):
    code = receive(db, routing.amqp, procedure, at(received), due, secret=secret)
    assert act(routing, code, "accept", lead(), at(received, 10)).status_code == 200
    return code


def lookup(routing, code, secret="SECRET01"):
    response = routing.http.get(f"/api/v1/dossiers/{code}", params={"secret": secret})
    assert response.status_code == 200, response.text
    return response.json()


# 1. supplement by the law ---------------------------------------------------------------------
def test_a_supplement_is_asked_by_the_third_working_day_after_reception_and_once(routing, db):
    # received Monday 7/12/2026: Tuesday is the 1st working day, Thursday 10/12 the 3rd
    thursday = accepted(db, routing, "2026-12-07", "2026-12-14")
    asked = act(routing, thursday, "request_supplement", lead(), at("2026-12-10", 16), **MISSING)
    assert asked.status_code == 200, asked.text
    # completed the same day and accepted again: a second request is refused (once)
    assert act(routing, thursday, "resubmit", counter("sxd"), at("2026-12-10", 16)).ok
    assert act(routing, thursday, "accept", lead(), at("2026-12-10", 16)).ok
    again = act(routing, thursday, "request_supplement", lead(), at("2026-12-10", 16), **MISSING)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "supplement_already_requested"

    friday = accepted(db, routing, "2026-12-07", "2026-12-14")
    late = act(routing, friday, "request_supplement", lead(), at("2026-12-11", 8), **MISSING)
    assert late.status_code == 409, late.text
    error = late.json()["error"]
    assert error["code"] == "supplement_too_late"
    assert "3 ngày làm việc kể từ ngày tiếp nhận" in error["message"]
    assert "điều 19 khoản 5" in error["message"] and "10/12/2026" in error["message"]
    assert status_of(db, friday) == "processing" and not outbox(
        db, "dossier.supplement_requested", friday)


def test_the_complete_dossier_restarts_the_period_from_zero(routing, db):
    # 5 working days, received Monday 7/12/2026 (due 14/12), supplement asked Tuesday 8/12,
    # completed Monday 14/12/2026: due Monday 21/12/2026, the procedure's full time again
    code = accepted(db, routing, "2026-12-07", "2026-12-14", secret="RESTART1")
    asked = act(routing, code, "request_supplement", lead(), at("2026-12-08", 10), **MISSING)
    assert asked.status_code == 200, asked.text
    view = lookup(routing, code, "RESTART1")
    assert view["status"] == "supplement_requested"
    assert view["asked_of_citizen"]["complete_by"] == "2026-12-23"  # 15 days after 8/12
    assert "đến hết ngày 23/12/2026" in view["asked_of_citizen"]["message"]
    # Mẫu 02 is among the forms the applicant reads with the secret
    assert view["forms"] == [{"form": "supplement_request", "number": "Mẫu 02",
                              "title": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"}]
    [requested] = outbox(db, "dossier.supplement_requested", code)
    assert requested["version"] == 2 and requested["data"]["complete_by"] == "2026-12-23"
    tick(routing, at("2026-12-15", 8))  # awaiting the citizen: neither due soon nor overdue
    assert not outbox(db, "dossier.overdue", code) and not outbox(db, "sxd.dossier.due_soon")

    routing.clock.pinned = at("2026-12-14", 9)
    back = routing.http.post(f"/api/v1/dossiers/{code}/resubmission",
                             json={"secret": "RESTART1", "note": "đã nộp bản sao"})
    assert back.status_code == 200, back.text
    assert back.json()["due_date"] == "2026-12-21"
    [row] = query(db, "SELECT due_date, legal_due_date FROM routing.dossiers WHERE code = %s",
                  (code,))
    assert row == {"due_date": date(2026, 12, 21), "legal_due_date": date(2026, 12, 21)}
    view = lookup(routing, code, "RESTART1")
    assert view["due_date"] == "2026-12-21" and view["asked_of_citizen"] is None
    assert view["status_label"] == "Đã nhận đủ hồ sơ bổ sung, thời hạn giải quyết tính lại từ đầu"
    assert "tính lại từ đầu" in view["history"][-1]["note"]
    [message] = outbox(db, "sxd.dossier.resubmitted", code)
    assert message["version"] == 2 and message["data"]["due_date"] == "2026-12-21"
    assert "paused_working_days" not in message["data"]
    assert_documented(message)
    # the new period is watched: not overdue on the old due date's morrow, due soon before 21/12
    tick(routing, at("2026-12-17", 8))
    assert not outbox(db, "dossier.overdue", code)
    [due_soon] = outbox(db, "sxd.dossier.due_soon", code)
    assert due_soon["data"]["due_date"] == "2026-12-21"
    # completed on its new due date: on time, 5 working days of the restarted period
    done = act(routing, code, "complete", lead(), at("2026-12-21", 15), result_reference="9/GP")
    assert done.status_code == 200
    totals = report(routing, "2026-12-01", "2026-12-31")
    assert (totals["resolved_on_time"], totals["resolved_late"],
            totals["average_processing_working_days"]) == (1, 0, 5.0)


def test_a_supplement_not_completed_in_15_days_closes_the_dossier(routing, db):
    # notified Tuesday 1/12/2026 and never completed: open on 16/12, closed on 17/12/2026
    code = accepted(db, routing, "2026-11-30", "2026-12-07", secret="CLOSE001")
    asked = act(routing, code, "request_supplement", lead(), at("2026-12-01", 10), **MISSING)
    assert asked.status_code == 200
    tick(routing, at("2026-12-16", 23, 59))
    assert status_of(db, code) == "supplement_requested"
    tick(routing, at("2026-12-17", 0, 1))
    assert status_of(db, code) == "closed"
    tick(routing, at("2026-12-18", 8))  # closed once
    [closed] = outbox(db, "dossier.closed", code)
    assert closed["data"]["complete_by"] == "2026-12-16"
    assert closed["data"]["supplement_requested_at"].startswith("2026-12-01T10:00")
    changes = [(e["data"]["from_status"], e["data"]["to_status"], e["version"])
               for e in outbox(db, "dossier.status_changed", code)]
    assert changes[-1] == ("supplement_requested", "closed", 2)
    [message] = outbox(db, "sxd.dossier.closed", code)
    assert_documented(message)
    view = lookup(routing, code, "CLOSE001")
    assert view["status_label"] == "Đã đóng hồ sơ do không bổ sung, hoàn thiện trong thời hạn"
    assert view["history"][-1]["label"] == "Đóng hồ sơ do không bổ sung, hoàn thiện trong thời hạn"
    assert view["history"][-1]["note"] == "không nộp bổ sung đến hết ngày 16/12/2026"
    late = routing.http.post(f"/api/v1/dossiers/{code}/resubmission", json={"secret": "CLOSE001"})
    assert late.status_code == 409
    totals = report(routing, "2026-12-01", "2026-12-31")
    assert (totals["closed"], totals["in_progress"]) == (1, 0)


def test_the_closure_waits_for_a_working_day_when_the_15th_day_is_a_day_off(routing, db):
    # notified Friday 15/01/2027: the 15th day is Saturday 30/01, so the time runs to the end
    # of Monday 01/02 (Civil Code art. 148)
    code = accepted(db, routing, "2027-01-14", "2027-01-21", secret="CLOSE002")
    assert act(routing, code, "request_supplement", lead(), at("2027-01-15", 10),
               **MISSING).status_code == 200
    assert lookup(routing, code, "CLOSE002")["asked_of_citizen"]["complete_by"] == "2027-02-01"
    tick(routing, at("2027-02-01", 16))
    assert status_of(db, code) == "supplement_requested"
    tick(routing, at("2027-02-02", 8))
    assert status_of(db, code) == "closed"


def test_a_province_may_count_the_15_days_in_working_days(container_factory, config_for,
                                                          client_for, topology, db):
    # SUPPLEMENT_COMPLETION_DAY_KIND=working: notified Tuesday 1/12/2026, the 15th working day
    # is Tuesday 22/12/2026 (weekends only in between); open through it, closed on 23/12
    routing = start_routing(container_factory, config_for, client_for, topology,
                            SUPPLEMENT_COMPLETION_DAY_KIND="working")
    code = accepted(db, routing, "2026-11-30", "2026-12-07", secret="CLOSE003")
    assert act(routing, code, "request_supplement", lead(), at("2026-12-01", 10),
               **MISSING).status_code == 200
    assert lookup(routing, code, "CLOSE003")["asked_of_citizen"]["complete_by"] == "2026-12-22"
    tick(routing, at("2026-12-22", 23, 59))
    assert status_of(db, code) == "supplement_requested"
    tick(routing, at("2026-12-23", 0, 1))
    assert status_of(db, code) == "closed"
    [closed] = outbox(db, "dossier.closed", code)
    assert closed["data"]["complete_by"] == "2026-12-22"


# 2. extension by the law ----------------------------------------------------------------------
def test_one_extension_asked_by_the_last_working_day_before_the_due_date(routing, db):
    # due Monday 14/12/2026: asked Friday 11/12 accepted, a second refused; asked Monday 14/12
    # refused
    friday = accepted(db, routing, "2026-12-07", "2026-12-14", secret="EXTEND01")
    monday = accepted(db, routing, "2026-12-07", "2026-12-14")
    tick(routing, at("2026-12-10", 8))  # Thursday: the lead is warned while it can extend
    for code in (friday, monday):
        [due_soon] = outbox(db, "sxd.dossier.due_soon", code)
        assert due_soon["version"] == 2
        assert due_soon["data"]["extension_deadline"] == "2026-12-11"
        assert_documented(due_soon)

    granted = act(routing, friday, "request_extension", lead(), at("2026-12-11", 16),
                  reason="chờ kết quả kiểm tra thực địa", new_due_date="2026-12-18")
    assert granted.status_code == 200, granted.text
    answer = granted.json()
    assert answer["due_date"] == "2026-12-18"
    extension = answer["extension"]
    assert (extension["form"], extension["letter_number"], extension["previous_due_date"],
            extension["new_due_date"], extension["legal_due_date"]) == (
        "Mẫu 04", "1/XL-SXD", "2026-12-14", "2026-12-18", "2026-12-14")
    second = act(routing, friday, "request_extension", lead(), at("2026-12-11", 16),
                 reason="còn chờ", new_due_date="2026-12-21")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "extension_already_granted"
    assert "một lần" in second.json()["error"]["message"]

    too_late = act(routing, monday, "request_extension", lead(), at("2026-12-14", 8),
                   reason="chờ kết quả kiểm tra", new_due_date="2026-12-18")
    assert too_late.status_code == 409, too_late.text
    error = too_late.json()["error"]
    assert error["code"] == "extension_too_late"
    assert "11/12/2026" in error["message"] and "điều 19 khoản 6" in error["message"]

    [event] = outbox(db, "dossier.extended", friday)
    assert event["data"]["new_due_date"] == "2026-12-18"
    assert event["data"]["legal_due_date"] == "2026-12-14"
    assert not outbox(db, "dossier.extended", monday)
    [row] = query(db, "SELECT due_date, legal_due_date FROM routing.dossiers WHERE code = %s",
                  (friday,))
    assert row == {"due_date": date(2026, 12, 18), "legal_due_date": date(2026, 12, 14)}
    view = lookup(routing, friday, "EXTEND01")
    assert view["due_date"] == "2026-12-18"
    assert view["history"][-1]["label"] == ("Gia hạn thời gian giải quyết, hẹn lại ngày trả "
                                            "kết quả (Mẫu 04)")
    assert "gửi Bộ phận Một cửa" in view["history"][-1]["note"]

    # the new date is watched afresh (no second extension); the other dossier is overdue
    tick(routing, at("2026-12-16", 8))
    warnings = outbox(db, "sxd.dossier.due_soon", friday)
    assert [w["data"]["extension_deadline"] for w in warnings] == ["2026-12-11", None]
    assert [e["dossier_code"] for e in outbox(db, "dossier.overdue")] == [monday]
    # done on the new date: late for the statistics, which keep the legal due date
    assert act(routing, friday, "complete", lead(), at("2026-12-18", 10),
               result_reference="7/GP").status_code == 200
    totals = report(routing, "2026-12-01", "2026-12-31")
    assert (totals["resolved_late"], totals["resolved_on_time"]) == (1, 0)


def test_the_extension_form_mau_04_prints_the_notice_to_the_one_stop_unit(routing, db):
    code = accepted(db, routing, "2026-12-07", "2026-12-14", secret="EXTEND02")
    act(routing, code, "request_extension", lead(), at("2026-12-10", 9),
        reason="Chờ <kết quả> thẩm định", new_due_date="2026-12-21")
    html = routing.http.get(f"/api/v1/dossiers/{code}/forms/extension",
                            params={"format": "html", "secret": "EXTEND02"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    for text in ("Mẫu 04", "1/XL-SXD", "Kính gửi: Bộ phận Một cửa.", "Chờ &lt;kết quả&gt; thẩm định",
                 "21/12/2026", "14/12/2026", "xin lỗi", code):
        assert text in html.text, text
    by_counter = routing.http.get(f"/api/v1/dossiers/{code}/forms/extension", token=counter("sxd"))
    assert by_counter.status_code == 200 and by_counter.json()["new_due_date"] == "2026-12-21"
    assert routing.http.get(f"/api/v1/dossiers/{code}/forms/extension",
                            token=officer("stp")).status_code == 404


# 5. consultations answered late -------------------------------------------------------------
def test_a_consultation_unanswered_or_answered_past_its_date_is_reported(routing, db):
    code = accepted(db, routing, "2026-12-01", "2027-01-06", secret="CONSULT1",
                    procedure=INTERAGENCY)
    asked = act(routing, code, "consult", lead(), at("2026-12-02", 9),
                question="Ý kiến về PCCC và đất đai?", reply_due_date="2026-12-09")
    assert asked.status_code == 200, asked.text
    on_time = act(routing, code, "reply_consultation", officer("ca"), at("2026-12-09", 16),
                  opinion="Đạt yêu cầu PCCC", agrees=True)
    assert on_time.status_code == 200
    tick(routing, at("2026-12-09", 17))
    assert not outbox(db, "dossier.consultation_late", code)
    tick(routing, at("2026-12-10", 8))  # snnmt has not answered by 9/12
    tick(routing, at("2026-12-11", 8))  # reported once
    [late] = outbox(db, "dossier.consultation_late", code)
    assert (late["data"]["department"], late["data"]["consulted_department"],
            late["data"]["reply_due_date"], late["data"]["replied_at"]) == (
        "sxd", "snnmt", "2026-12-09", None)
    [message] = outbox(db, "sxd.dossier.consultation_late", code)
    assert_documented(message)
    metrics = routing.http.get("/metrics").text
    assert 'motcua_routing_consultations_late{department="snnmt"} 1.0' in metrics
    view = lookup(routing, code, "CONSULT1")
    assert view["history"][-1]["label"] == "Cơ quan phối hợp chưa trả lời đúng hạn"
    answered = act(routing, code, "reply_consultation", officer("snnmt"), at("2026-12-11", 9),
                   opinion="Phù hợp quy hoạch", agrees=True)
    assert answered.json()["status"] == "processing"
    assert len(outbox(db, "dossier.consultation_late", code)) == 1
    tick(routing, at("2026-12-11", 10))
    assert "motcua_routing_consultations_late{" not in routing.http.get("/metrics").text
    manager = report(routing, "2026-12-01", "2026-12-31", whole=True)
    assert manager["late_consultations"] == {"total": 1, "by_department": {"snnmt": 1}}


def test_an_answer_after_the_reply_date_is_flagged_when_it_comes(routing, db):
    code = accepted(db, routing, "2026-12-01", "2027-01-06", procedure=INTERAGENCY)
    act(routing, code, "consult", lead(), at("2026-12-02", 9), question="Ý kiến?",
        departments=["ca"], reply_due_date="2026-12-04")
    act(routing, code, "reply_consultation", officer("ca"), at("2026-12-07", 9),
        opinion="Đồng ý", agrees=True)
    [late] = outbox(db, "dossier.consultation_late", code)
    assert late["data"]["consulted_department"] == "ca"
    assert late["data"]["replied_at"].startswith("2026-12-07T09:00")
    tick(routing, at("2026-12-08", 8))
    assert len(outbox(db, "dossier.consultation_late", code)) == 1


# 6. the applicant stops the dossier from any open status --------------------------------------
OPEN_STEPS = {
    "assigned": [],
    "processing": [("accept", {})],
    "supplement_requested": [("accept", {}), ("request_supplement", MISSING)],
    "resubmitted": [("accept", {}), ("request_supplement", MISSING), ("resubmit", {})],
    "consulting": [("accept", {}), ("consult", {"question": "Ý kiến?", "departments": ["ca"]})],
}


@pytest.mark.parametrize("status", sorted(OPEN_STEPS))
def test_the_applicant_stops_the_dossier_from_any_open_status_with_the_notice(routing, db,
                                                                              status):
    code = receive(db, routing.amqp, INTERAGENCY, at("2026-12-07"), "2027-01-12",
                   secret="STOPIT01")
    routing.clock.pinned = at("2026-12-08", 9)
    for action, body in OPEN_STEPS[status]:
        who = counter("sxd") if action == "resubmit" else lead()
        assert act(routing, code, action, who, **body).status_code == 200
    assert status_of(db, code) == status
    routing.clock.pinned = at("2026-12-09", 10)
    stopped = routing.http.post(f"/api/v1/dossiers/{code}/withdrawal",
                                json={"secret": "STOPIT01", "reason": "không còn nhu cầu"})
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "withdrawn"
    [event] = outbox(db, "dossier.withdrawn", code)
    assert (event["data"]["reason"], event["data"]["withdrawn_at"][:10]) == (
        "không còn nhu cầu", "2026-12-09")
    [message] = outbox(db, "sxd.dossier.withdrawn", code)
    assert_documented(message)
    notice = routing.http.get(f"/api/v1/dossiers/{code}/forms/stop_notice",
                              params={"secret": "STOPIT01", "format": "html"})
    assert notice.status_code == 200
    for text in ("Mẫu 05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "không còn nhu cầu",
                 "dừng giải quyết hồ sơ này kể từ ngày 09/12/2026", code):
        assert text in notice.text, text


def test_no_stop_once_the_result_is_ready(routing, db):
    code = accepted(db, routing, "2026-12-07", "2026-12-14", secret="STOPIT02")
    act(routing, code, "complete", lead(), at("2026-12-09", 10), result_reference="3/GP")
    refused = routing.http.post(f"/api/v1/dossiers/{code}/withdrawal",
                                json={"secret": "STOPIT02"})
    assert refused.status_code == 409
    assert not outbox(db, "dossier.withdrawn", code)
    missing = routing.http.get(f"/api/v1/dossiers/{code}/forms/stop_notice",
                               params={"secret": "STOPIT02"})
    assert missing.status_code == 404


# 9. refusal, and the forms of a supplement --------------------------------------------------
def test_the_refusal_and_the_supplement_request_print_as_mau_03_and_mau_02(routing, db):
    code = accepted(db, routing, "2026-12-07", "2026-12-14", secret="FORMS001")
    act(routing, code, "request_supplement", lead(), at("2026-12-08", 9), **MISSING)
    supplement = routing.http.get(f"/api/v1/dossiers/{code}/forms/supplement_request",
                                  params={"secret": "FORMS001"}).json()
    assert (supplement["form"], supplement["complete_by"], supplement["reason"]) == (
        "Mẫu 02", "2026-12-23", "thiếu giấy đăng ký kinh doanh")
    html = routing.http.get(f"/api/v1/dossiers/{code}/forms/supplement_request",
                            params={"secret": "FORMS001", "format": "html"}).text
    for text in ("Mẫu 02", "Bản sao giấy đăng ký kinh doanh", "có chứng thực", "23/12/2026",
                 "tính lại từ đầu"):
        assert text in html, text
    act(routing, code, "resubmit", counter("sxd"), at("2026-12-09", 9))
    act(routing, code, "refuse", lead(), at("2026-12-10", 9), reason="không đủ điều kiện cấp phép")
    [refused] = outbox(db, "dossier.refused", code)
    assert refused["data"]["reason"] == "không đủ điều kiện cấp phép"
    html = routing.http.get(f"/api/v1/dossiers/{code}/forms/refusal",
                            params={"secret": "FORMS001", "format": "html"}).text
    for text in ("Mẫu 03", "PHIẾU TỪ CHỐI GIẢI QUYẾT HỒ SƠ", "không đủ điều kiện cấp phép",
                 "ngày 10 tháng 12 năm 2026"):
        assert text in html, text
    unknown = routing.http.get(f"/api/v1/dossiers/{code}/forms/mau_99",
                               params={"secret": "FORMS001"})
    assert unknown.status_code == 404 and "supplement_request" in unknown.json()["error"][
        "message"]
    wrong = routing.http.get(f"/api/v1/dossiers/{code}/forms/refusal",
                             params={"secret": "WRONG001"})
    assert wrong.status_code == 404


def report(routing, start, end, whole=False):
    response = routing.http.get("/api/v1/reports/period", params={"start": start, "end": end},
                                token=token("manager"))
    assert response.status_code == 200, response.text
    return response.json() if whole else response.json()["totals"]
