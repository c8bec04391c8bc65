"""Online dossiers from the fake DVCQG: handed to intake as online dossiers awaiting formal
reception, once however often they are listed or fetched, acknowledged to the portal once
and only after intake committed; a malformed one is parked with the reason and the portal
is told nothing. The portal's status of the dossier is set under its own id
(DongBoTrangThaiHoSo): 1 once intake registered it, 5 if the officer asks for corrections
instead of receiving it, 2 with motcua's code once received; the dossier then goes back under
that code with the portal's id beside it, never before those."""

import time

from tests.conftest import CATALOGUE, token, wait_for
from tests.nationalportal.conftest import MANAGER, call_portal, shown, sync_state, synced

PROCEDURE = "1.001665"  # Đăng ký hoạt động Văn phòng công chứng: stp, online


def online_dossier(portal_id, **changes):
    proc = CATALOGUE["procedures"][PROCEDURE]
    return {"MaHoSoQG": portal_id, "MaTTHC": PROCEDURE, "ChuHoSo": "Lê Văn An",
            "SoDinhDanh": "079190001234", "SoDienThoai": "0912345678",
            "Email": "an.le@example.vn", "DiaChi": "1 Lê Lợi, phường Bến Thành",
            "TaiLieuNop": [{"MaThanhPhanHoSo": d["key"]} for d in proc["documents"]
                           if d["mandatory"]], "LoaiDoiTuong": "1", **changes}


def poll(national):
    answer = national.post("/api/v1/inbound/polls", token=MANAGER)
    assert answer.status_code == 200, answer.text
    return answer.json()


def submissions(intake):
    answer = intake.get("/api/v1/submissions", token=MANAGER)
    return answer.json()["submissions"]


def test_an_online_dossier_fetched_twice_is_registered_once_and_acknowledged_once(linked):
    intake, national, portal, amqp_uri = linked
    portal.online.update({"G22-0001": online_dossier("G22-0001")})
    assert poll(national)["acknowledged"] == 1
    portal.taken.clear()  # the portal lost our acknowledgement and lists it again
    poll(national)
    poll(national)
    assert len(submissions(intake)) == 1
    assert portal.received()["taken"] == ["G22-0001"]
    [row] = national.get("/api/v1/inbound", token=MANAGER).json()["inbound"]
    assert row["state"] == "acknowledged" and row["submission_id"]


def test_a_malformed_dossier_is_parked_with_the_reason_and_not_acknowledged(linked):
    intake, national, portal, amqp_uri = linked
    portal.online.update({
        "G22-0002": online_dossier("G22-0002", SoDinhDanh=None),
        "G22-0003": online_dossier("G22-0003", MaTTHC="9.999999"),
    })
    assert poll(national)["parked"] == 2
    parked = {row["portal_id"]: row["reason"] for row in national.get(
        "/api/v1/inbound?state=parked", token=MANAGER).json()["inbound"]}
    assert "SoDinhDanh" in parked["G22-0002"]
    assert "procedure_code" in parked["G22-0003"]
    assert portal.received()["taken"] == []
    assert submissions(intake) == []
    poll(national)  # still listed by the portal, still parked here, never handed twice
    assert submissions(intake) == []


def test_an_online_dossier_received_by_an_officer_goes_back_under_the_portals_id(linked):
    intake, national, portal, amqp_uri = linked
    portal.online.update({"G22-0004": online_dossier("G22-0004")})
    poll(national)
    [submission] = submissions(intake)
    officer = token("counter_officer", department="stp", subject="motcua.stp.01")
    answer = intake.post(f"/api/v1/submissions/{submission['id']}/reception", token=officer)
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    synced(national, code)
    record, rows = shown(portal, code)
    assert record["MaHoSoQG"] == "G22-0004" and record["KenhThucHien"] == "2"
    assert record["HinhThuc"] == "0"  # the result at the counter
    assert wait_for(lambda: national.get(f"/api/v1/sync/dossiers/{code}",
                                         token=MANAGER).json()["portal_id"] == "G22-0004")


def receive_online(intake, submission_id):
    officer = token("counter_officer", department="stp", subject="motcua.stp.01")
    answer = intake.post(f"/api/v1/submissions/{submission_id}/reception", token=officer)
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


def test_an_online_dossier_shows_1_then_2_under_the_portals_id_before_its_code(linked):
    intake, national, portal, amqp_uri = linked
    portal.faults = {"down_services": ["DongBoTrangThaiHoSo"]}  # statuses cannot land
    portal.online.update({"G22-0005": online_dossier("G22-0005")})
    poll(national)
    [submission] = submissions(intake)
    code = receive_online(intake, submission["id"])
    wait_for(lambda: sync_state(national, code))
    time.sleep(1.5)  # several push rounds: the numbered dossier waits for status 1
    assert shown(portal, code) == (None, []) and portal.received()["journal"] == []
    assert sync_state(national, code)["state"] == "pending"
    portal.faults = {}
    synced(national, code)
    journal = portal.received()["journal"]
    assert journal[:2] == [["DongBoTrangThaiHoSo", "G22-0005", "1"],
                           ["DongBoTrangThaiHoSo", "G22-0005", "2"]]
    assert [entry[1] for entry in journal[2:]] == [code] * (len(journal) - 2)
    registered, received = portal.received()["statuses"]["G22-0005"]
    assert "chờ tiếp nhận" in registered["NoiDung"] and registered["MaHoSoDonVi"] == ""
    assert received["MaHoSoDonVi"] == code and len(received["NgayXuLy"]) == 14
    assert shown(portal, "G22-0005") == (None, [])  # no progress row under the portal's id
    overview = national.get("/api/v1/sync", token=MANAGER).json()
    assert overview["reception_steps"] == {"acknowledged": 2}


def test_corrections_asked_instead_of_reception_set_5_after_1_under_the_portals_id(linked):
    intake, national, portal, amqp_uri = linked
    portal.online.update({"G22-0006": online_dossier("G22-0006")})
    poll(national)
    [submission] = submissions(intake)
    officer = token("counter_officer", department="stp", subject="motcua.stp.01")
    asked = intake.post(f"/api/v1/submissions/{submission['id']}/corrections", token=officer,
                        json={"documents": [{"name": "Đơn đăng ký hoạt động",
                                             "note": "thiếu chữ ký"}],
                              "reason": "Đơn chưa ký."})
    assert asked.status_code == 200, asked.text
    rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        portal.received()["statuses"].get("G22-0006", [])), timeout=20)
    assert [row["TrangThai"] for row in rows] == ["1", "5"]
    assert rows[1]["NoiDung"].endswith("Đơn chưa ký.")
    assert rows[0]["NgayXuLy"] <= rows[1]["NgayXuLy"]
    state = portal.received()
    assert state["dossiers"] == {}
    assert [service for service, accepted in state["calls"] if not accepted] == []


def test_the_fake_sets_a_status_only_of_a_dossier_it_handed_out(dvcqg):
    url, portal = dvcqg
    portal.online.update({"G22-0007": online_dossier("G22-0007")})
    data = {"MaHoSo": "G22-0007", "MaHoSoDonVi": "", "TrangThai": "2", "NoiDung": "Tiếp nhận",
            "NgayXuLy": "20261207090000"}
    assert call_portal(url, "DongBoTrangThaiHoSo", type="2", data=data)["error_code"] == "00"
    unknown = call_portal(url, "DongBoTrangThaiHoSo", type="2",
                          data={**data, "MaHoSo": "G22-9999"})
    assert "data.MaHoSo" in unknown["message"]
    assert "type" in call_portal(url, "DongBoTrangThaiHoSo", type="1", data=data)["message"]
    assert "data.NgayXuLy" in call_portal(url, "DongBoTrangThaiHoSo", type="2",
                                          data={**data, "NgayXuLy": "7/12/2026"})["message"]
    row = {"MaHoSo": "G22-0007", "NguoiXuLy": "stp", "ThoiDiemXuLy": "20261207090000",
           "NoiDungXuLy": "Đã nhận hồ sơ trực tuyến", "TrangThai": "1"}
    refused = call_portal(url, "CapNhatTienDoHoSoMC", data=[row])  # no progress rows there
    assert refused["error_code"] == "-1" and "data[0].MaHoSo" in refused["message"]
    assert [r["TrangThai"] for r in portal.received()["statuses"]["G22-0007"]] == ["2"]
