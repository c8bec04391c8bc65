"""Outbound sync against the fake DVCQG: a dossier received at the counter is added to the
portal, then every step arrives as a progress row with its status code, in order, and the
dossier's status follows; the portal down, slow, forgetting sessions or saying "đã tồn tại"
delays the sync but neither loses nor repeats a step. The evaluations go as a monthly
summary per procedure, replaced by a later run."""
from services.common.contracts import EVALUATION_ITEMS
from services.common.events import events_exchange, new_envelope
from tests.conftest import dossier_body, procedure, publish_envelope, query, token, wait_for
from tests.nationalportal.conftest import (
    MANAGER,
    call_portal,
    lacking_sector,
    later,
    shown,
    status_changed,
    sync_state,
    synced,
)

LIFECYCLE = [("processing", "4"), ("supplement_requested", "5"), ("resubmitted", "4"),
             ("consulting", "4"), ("awaiting_approval", "4"), ("result_ready", "9"),
             ("returned", "10")]


def receive(intake, department="stp"):
    proc = procedure(department=department)
    answer = intake.post("/api/v1/dossiers", json=dossier_body(proc),
                         token=token("counter_officer", department=department,
                                     subject="motcua.stp.01"))
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


def test_a_dossier_and_every_step_reach_the_portal_in_order_with_their_codes(linked):
    intake, national, portal, amqp_uri = linked
    code = receive(intake)
    synced(national, code)
    record, rows = shown(portal, code)
    assert record["TrangThaiHoSo"] == "2" and record["HinhThuc"] == "0"
    assert record["KenhThucHien"] == "1"
    assert rows[0]["NoiDungXuLy"] == "Tiếp nhận hồ sơ" and rows[0]["TrangThai"] == "2"
    for minutes, (status, _) in enumerate(LIFECYCLE, start=1):
        status_changed(amqp_uri, code, status, later(minutes))
    wait_for(lambda: len(shown(portal, code)[1]) >= len(rows) + len(LIFECYCLE), timeout=20)
    synced(national, code)
    record, rows = shown(portal, code)
    assert [row["TrangThai"] for row in rows[-len(LIFECYCLE):]] == [c for _, c in LIFECYCLE]
    moments = [row["ThoiDiemXuLy"] for row in rows]
    assert moments == sorted(moments)
    assert record["TrangThaiHoSo"] == "10" and record["NgayTra"] and record["NgayKetThucXuLy"]
    calls = portal.received()["calls"]
    assert [service for service, accepted in calls if not accepted] == []


def test_a_step_that_comes_before_its_dossier_waits_for_it(linked):
    intake, national, portal, amqp_uri = linked
    code = "H01.40-261208-9999"
    status_changed(amqp_uri, code, "processing", later(1))
    wait_for(lambda: national.get("/api/v1/sync", token=MANAGER).json()["steps"].get(
        "pending") == 1)
    assert shown(portal, code) == (None, [])
    real = receive(intake)
    synced(national, real)
    assert shown(portal, code) == (None, [])  # never sent before its dossier
    assert all(accepted for _, accepted in portal.received()["calls"])


def test_the_portal_down_for_a_while_then_everything_arrives_once(linked):
    intake, national, portal, amqp_uri = linked
    portal.faults = {"error500": 12}
    codes = [receive(intake) for _ in range(3)]
    for code in codes:
        status_changed(amqp_uri, code, "processing", later(1))
    for code in codes:
        synced(national, code)
    for code in codes:
        record, rows = shown(portal, code)
        assert record["TrangThaiHoSo"] == "4"
        keys = [(row["ThoiDiemXuLy"], row["TrangThai"], row["NoiDungXuLy"]) for row in rows]
        assert len(keys) == len(set(keys)) == 3  # received, assigned, processing
    metrics = national.get("/metrics").text
    assert 'motcua_nationalportal_sync_failures_total{reason="server_error"}' in metrics
    assert "motcua_nationalportal_synced_ratio 1.0" in metrics


def test_a_lost_answer_is_not_a_second_step(linked):
    intake, national, portal, amqp_uri = linked
    code = receive(intake)
    synced(national, code)
    portal.faults = {"timeout": 1, "timeout_seconds": 1.5}
    status_changed(amqp_uri, code, "processing", later(1))
    wait_for(lambda: len(sync_state(national, code)["steps"]) == 3)
    synced(national, code)
    rows = shown(portal, code)[1]
    assert [row["TrangThai"] for row in rows].count("4") == 1


def test_an_expired_session_and_an_add_already_there_are_handled(linked):
    intake, national, portal, amqp_uri = linked
    portal.faults = {"expire_sessions": 1, "exists": 1}
    code = receive(intake)
    synced(national, code)
    record, rows = shown(portal, code)
    assert record["MaHoSo"] == code and len(rows) >= 1


def test_the_fake_portal_refuses_what_the_real_one_would(dvcqg):
    url, portal = dvcqg
    assert call_portal(url, "DongBoHoSoMC", session="made-up")["error_code"] == "-2"
    complete = {"MaHoSo": "H01.40-261208-0001", "MaTTHC": "1.001756", "TenTTHC": "Thủ tục",
                "MaLinhVuc": "cong_chung", "TenLinhVuc": "Công chứng", "LoaiDoiTuong": "1",
                "Email": "", "SoDienThoai": "0912345678", "TrichYeuHoSo": "Thủ tục",
                "NgayTiepNhan": "20261208093000", "NgayHenTra": "20261215170000",
                "TrangThaiHoSo": "2", "HinhThuc": "0", "DonViXuLy": "Sở Tư pháp"}
    lacking = {key: value for key, value in complete.items() if key != "MaLinhVuc"}
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False", data=[lacking])
    assert answer["error_code"] == "-1" and "MaLinhVuc" in answer["message"]
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False",
                         data=[{**complete, "NgayHenTra": "15/12/2026"}])
    assert "NgayHenTra" in answer["message"]
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False",
                         data=[{**complete, "LoaiDoiTuong": 1}])
    assert "LoaiDoiTuong" in answer["message"]
    assert call_portal(url, "DongBoHoSoMC", isUpdating="False",
                       data=[complete])["error_code"] == "00"
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False", data=[complete])
    assert "đã tồn tại" in answer["message"]
    answer = call_portal(url, "CapNhatTienDoHoSoMC", data=[{
        "MaHoSo": "H01.40-261208-0002", "NguoiXuLy": "a", "ThoiDiemXuLy": "20261208093000",
        "NoiDungXuLy": "x", "TrangThai": "4"}])
    assert "chưa được đồng bộ" in answer["message"]
    other = {**complete, "MaHoSo": "H01.40-261208-0003"}
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False",
                         data=[{**other, "HinhThuc": "2"}])  # 0 in person, 1 by post
    assert "data[0].HinhThuc" in answer["message"]
    for motcua_only, lists in (("DaThanhToan", "DanhSachLePhi"),
                               ("SoKyHieu", "DanhSachGiayToKetQua")):
        answer = call_portal(url, "DongBoHoSoMC", isUpdating="False",
                             data=[{**other, lists: [{motcua_only: "1"}]}])
        assert f"data[0].{lists}[0].{motcua_only}" in answer["message"], answer
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False", data=[{**other, "X": "1"}])
    assert "data[0].X" in answer["message"]


def test_the_fake_portal_takes_what_public_clients_send(dvcqg):
    """Optional fields of the Thanh Hóa and opencps-v2 clients, an empty NgayHenTra, and
    list items with their public fields."""
    url, portal = dvcqg
    record = {"MaHoSo": "H01.40-261208-0004", "MaTTHC": "1.001756", "TenTTHC": "Thủ tục",
              "MaLinhVuc": "cong_chung", "TenLinhVuc": "Công chứng", "LoaiDoiTuong": "1",
              "Email": "", "SoDienThoai": "0912345678", "TrichYeuHoSo": "Thủ tục",
              "NgayTiepNhan": "20261208093000", "NgayHenTra": "", "TrangThaiHoSo": "2",
              "HinhThuc": "1", "DonViXuLy": "Sở Tư pháp", "KenhThucHien": "3",
              "MaDoiTuong": "", "ThongTinKhac": "", "Fax": "", "SoGiayToChuHoSo": "079190001234",
              "HoSoCoThanhPhanSoHoa": "1", "TaiKhoanDuocXacThucVoiVNeID": "1",
              "DanhSachTepDinhKemKhac": [], "DSKetNoiCSDL": [{"MaCSDL": "1"}],
              "TaiLieuNop": [{"TepDinhKemId": "1", "TenTepDinhKem": "Đơn", "IsDeleted": "False",
                              "MaThanhPhanHoSo": "don", "DuongDanTaiTepTin": ""}],
              "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "", "HinhThucThu": "",
                                 "Gia": "200000", "LoaiPhiLePhi": "1"}],
              "DanhSachGiayToKetQua": [{"TenGiayTo": "Quyết định", "MaThanhPhanHoSo": "",
                                        "GiayToId": "125", "DuongDanTepTinKetQua": "",
                                        "MaGiayToKetQua": ""}]}
    answer = call_portal(url, "DongBoHoSoMC", isUpdating="False", data=[record])
    assert answer["error_code"] == "00", answer


def test_a_dossier_lacking_what_the_portal_requires_is_parked_naming_the_field(linked, db):
    intake, national, portal, amqp_uri = linked
    code = "H01.40-261208-0042"
    publish_envelope(amqp_uri, lacking_sector(code), events_exchange("intake"))
    state = wait_for(lambda: (sync_state(national, code) or {}).get("state") == "failed"
                     and sync_state(national, code))
    assert "MaLinhVuc" in state["last_error"]
    [announced] = wait_for(lambda: query(
        db, "SELECT body FROM nationalportal.outbox WHERE routing_key = 'portal.sync_failed'"))
    assert announced["body"]["dossier_code"] == code
    assert "MaLinhVuc" in announced["body"]["data"]["reason"]
    overview = national.get("/api/v1/sync", token=MANAGER).json()
    assert overview["by_state"]["failed"] == 1 and overview["synced_share"] < 1
    assert [row["code"] for row in overview["failed"]] == [code]
    assert shown(portal, code) == (None, [])
    answer = national.post(f"/api/v1/sync/dossiers/{code}/retry", token=MANAGER)
    assert answer.status_code == 200 and answer.json()["state"] == "pending"
    wait_for(lambda: sync_state(national, code)["state"] == "failed")  # still lacking it
    other = receive(intake)
    synced(national, other)
    assert national.post(f"/api/v1/sync/dossiers/{other}/retry",
                         token=MANAGER).status_code == 409
    assert national.get("/api/v1/sync/dossiers/nope", token=MANAGER).status_code == 404


def evaluated(amqp_uri, code, procedure_code, answers, at):
    publish_envelope(amqp_uri, new_envelope("dossier.evaluated", "routing", {
        "code": code, "department": "stp", "procedure_code": procedure_code,
        "status": "returned", "answers": answers, "officers": ["canbo.stp.01"],
        "evaluated_at": at.isoformat()}, "corr-rating", dossier_code=code),
        events_exchange("routing"))


def test_the_months_evaluations_reach_the_portal_as_a_summary_a_later_run_replaces(linked):
    intake, national, portal, amqp_uri = linked
    every = dict.fromkeys(EVALUATION_ITEMS, "satisfied")
    now = later(0)
    evaluated(amqp_uri, "H01.40-261208-0101", "1.001756", every, now)
    evaluated(amqp_uri, "H01.40-261208-0102", "1.001756",
              {**every, "complaints": "not_applicable"}, now)
    evaluated(amqp_uri, "H01.40-261208-0103", "1.001665",
              dict.fromkeys(EVALUATION_ITEMS, "very_satisfied"), now)
    month = now.strftime("%Y-%m")

    def summarised():
        answer = national.post("/api/v1/rating-summaries", json={"month": month},
                               token=MANAGER)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        return found if sum(int(row["summary"]["TongSoNguoiDanhGia"])
                            for row in found["summaries"]) == 3 else None
    report = wait_for(summarised, timeout=20)
    assert {row["state"] for row in report["summaries"]} == {"acknowledged"}
    key = f"{now.month}-{now.year} 1.001756 000.00.00.H15"
    shown_there = portal.received()["ratings"]
    assert set(shown_there) == {key, f"{now.month}-{now.year} 1.001665 000.00.00.H15"}
    assert shown_there[key]["TongSoNguoiDanhGia"] == 2
    assert shown_there[key]["PhanTramDanhGiaHaiLong"] == "100%"
    calls = len(portal.received()["calls"])
    again = national.post("/api/v1/rating-summaries", json={"month": month}, token=MANAGER)
    assert again.json()["sent"] == 0 and len(portal.received()["calls"]) == calls  # unchanged
    # the first dossier evaluated again: its later evaluation replaces the earlier
    evaluated(amqp_uri, "H01.40-261208-0101", "1.001756",
              dict.fromkeys(EVALUATION_ITEMS, "not_satisfied"), later(1))

    def replaced():
        national.post("/api/v1/rating-summaries", json={"month": month}, token=MANAGER)
        row = portal.received()["ratings"][key]
        return row if row["PhanTramDanhGiaChuaHaiLong"] != "0%" else None
    row = wait_for(replaced, timeout=20)
    assert row["TongSoNguoiDanhGia"] == 2 and row["NgayTongHop"] == f"{now.month}-{now.year}"
    assert row["PhanTramDanhGiaChuaHaiLong"] == "53%"  # 9 of 17 applicable answers
    assert all(accepted for _, accepted in portal.received()["calls"])
    for month in ("12/2026", "0000-01", "9999-12"):
        bad = national.post("/api/v1/rating-summaries", json={"month": month}, token=MANAGER)
        assert bad.status_code == 422 and "month" in bad.text, (month, bad.text)
