"""The mapping to DVCQG's fields: every lifecycle status has its code (domain.md's table),
dates go as yyyyMMddHHmmss in Asia/Ho_Chi_Minh, a value the portal requires that motcua
lacks is refused naming the field, HinhThuc is how the result is delivered and KenhThucHien
the channel, the statuses before reception are DongBoTrangThaiHoSo's data, and the
evaluations become DongBoDanhGia's monthly summary."""
from datetime import UTC, date, datetime

import pytest

from services.common.contracts import STATUSES
from services.nationalportal import mapping

DOMAIN_TABLE = {  # domain.md, "DVCQG codes"
    "received": "2", "assigned": "2", "processing": "4", "consulting": "4",
    "resubmitted": "4", "awaiting_approval": "4", "supplement_requested": "5",
    "withdrawn": "7", "closed": "8", "refused": "8", "result_ready": "9", "returned": "10",
}


def facts(**procedure):
    return {
        "code": "H01.40-261208-0001", "channel": "counter", "result_delivery": "counter",
        "received_at": "2026-12-08T09:30:00+07:00", "due_date": "2026-12-15",
        "submission_id": None,
        "procedure": {"code": "1.001756", "name": "Thành lập Văn phòng công chứng",
                      "department": "stp", "department_name": "Sở Tư pháp",
                      "sector_code": "cong_chung", "sector_name": "Công chứng", "fee": 0,
                      "charge": 0, **procedure},
        "applicant": {"kind": "citizen", "name": "Trần Thị Bích Ngọc", "phone": "0912345678",
                      "email": ""},
        "documents": ["Đơn đề nghị"],
    }


def step(status, at="2026-12-09T10:00:00+07:00"):
    return {"facts": {"status": status, "actor": "canbo.stp.01", "department": "stp",
                      "reason": None, "at": at, "due_date": "2026-12-15"}}


def test_every_status_of_the_lifecycle_has_its_code():
    assert set(STATUSES) <= set(mapping.STATUS_CODES)
    for status, code in DOMAIN_TABLE.items():
        assert mapping.STATUS_CODES[status] == code
        assert mapping.dossier_record(facts(), [step(status)])["TrangThaiHoSo"] == code
        assert mapping.step_row("X", step(status)["facts"], None)["TrangThai"] == code


def test_dates_are_local_and_compact():
    moment = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)
    assert mapping.portal_time(moment) == "20261208093000"
    assert mapping.portal_time("2026-12-15") == "20261215170000"
    record = mapping.dossier_record(facts(), [])
    assert record["NgayTiepNhan"] == "20261208093000"
    assert record["NgayHenTra"] == "20261215170000"
    assert record["TrangThaiHoSo"] == "2"
    assert all(isinstance(value, str) for value in record.values() if not isinstance(value, list))


@pytest.mark.parametrize("lacking, field", [
    ({"sector_code": None}, "MaLinhVuc"), ({"sector_name": ""}, "TenLinhVuc")])
def test_a_required_value_motcua_lacks_is_refused_naming_the_field(lacking, field):
    with pytest.raises(mapping.MissingField) as refused:
        mapping.dossier_record(facts(**lacking), [])
    assert refused.value.field == field
    assert field in str(refused.value)


def test_an_empty_email_is_what_the_portal_takes():
    assert mapping.dossier_record(facts(), [])["Email"] == ""


@pytest.mark.parametrize("channel, delivery, kenh, hinh_thuc", [
    ("counter", "counter", "1", "0"), ("online", "counter", "2", "0"),
    ("online", "post", "2", "1"), ("postal", "post", "3", "1")])
def test_the_channel_is_kenh_thuc_hien_and_hinh_thuc_how_the_result_goes(
        channel, delivery, kenh, hinh_thuc):
    record = mapping.dossier_record({**facts(), "channel": channel,
                                     "result_delivery": delivery}, [])
    assert (record["KenhThucHien"], record["HinhThuc"]) == (kenh, hinh_thuc)


def test_fees_and_results_go_in_the_public_item_fields_only():
    bills = [{"description": "Lệ phí", "amount": 200000, "settled_at": None}]
    result = {"reference": "125/QĐ-STP", "ready_at": "2026-12-10T10:00:00+07:00",
              "releasable": True}
    record = mapping.dossier_record(facts(), [step("result_ready")], bills=bills, result=result)
    assert record["DanhSachLePhi"] == [{"TenPhiLePhi": "Lệ phí", "Gia": "200000",
                                        "LoaiPhiLePhi": "1"}]
    [paper] = record["DanhSachGiayToKetQua"]
    assert set(paper) == {"TenGiayTo", "MaThanhPhanHoSo", "GiayToId"}
    assert paper["GiayToId"] == "125/QĐ-STP" and "125/QĐ-STP" in paper["TenGiayTo"]


def test_an_online_dossier_of_the_portal_becomes_intakes_submission():
    request = mapping.submission_request({
        "MaHoSoQG": "G22.99-261208-0001", "MaTTHC": "1.001756", "ChuHoSo": "Lê Văn An",
        "SoDinhDanh": "079190001234", "SoDienThoai": "0912345678", "DiaChi": "1 Lê Lợi",
        "TaiLieuNop": [{"MaThanhPhanHoSo": "don_de_nghi"}], "HinhThucNhanKetQua": "1"})
    assert request["procedure_code"] == "1.001756"
    assert request["documents"] == [{"key": "don_de_nghi"}]
    assert request["result_delivery"] == "post" and request["delivery_address"] == "1 Lê Lợi"
    with pytest.raises(mapping.Malformed) as malformed:
        mapping.submission_request({"MaTTHC": "1.001756", "TaiLieuNop": []})
    assert malformed.value.field == "ChuHoSo"


def test_the_statuses_before_reception_go_under_the_portals_id_with_their_codes():
    registered = mapping.reception_status("G22-0001", mapping.reception_step_facts(
        "awaiting_reception", "2026-12-08T09:30:00+07:00"))
    assert registered == {"MaHoSo": "G22-0001", "MaHoSoDonVi": "", "TrangThai": "1",
                          "NoiDung": "Đã nhận hồ sơ trực tuyến, chờ tiếp nhận chính thức",
                          "NgayXuLy": "20261208093000"}
    asked = mapping.reception_status("G22-0001", mapping.reception_step_facts(
        "corrections_requested", "2026-12-08T14:00:00+07:00", reason="Đơn chưa ký."))
    assert asked["TrangThai"] == "5" and asked["NoiDung"].endswith(": Đơn chưa ký.")
    received = mapping.reception_status("G22-0001", mapping.reception_step_facts(
        "received", "2026-12-09T08:00:00+07:00", code="H01.40-261209-0001"))
    assert (received["TrangThai"], received["MaHoSoDonVi"]) == ("2", "H01.40-261209-0001")


def test_a_months_evaluations_become_three_shares_that_add_up():
    every = ("time", "agencies", "contacts")
    evaluations = [dict.fromkeys(every, "very_satisfied"),
                   {**dict.fromkeys(every, "satisfied"), "time": "not_satisfied"},
                   {**dict.fromkeys(every, "not_applicable"), "time": "satisfied"}]
    summary = mapping.rating_summary(date(2026, 12, 1), "1.001756", evaluations,
                                     "000.00.00.H15", "Trung tâm")
    assert summary["NgayTongHop"] == "12-2026" and summary["TongSoNguoiDanhGia"] == 3
    # 7 answers: 3 very satisfied, 3 satisfied, 1 not; not applicable counts in none
    assert (summary["PhanTramDanhGiaRatHaiLong"], summary["PhanTramDanhGiaHaiLong"],
            summary["PhanTramDanhGiaChuaHaiLong"]) == ("43%", "43%", "14%")
    assert (summary["MaThuTuc"], summary["Madonvi"]) == ("1.001756", "000.00.00.H15")
    empty = mapping.rating_summary(date(2026, 3, 1), "1.001756",
                                   [dict.fromkeys(every, "not_applicable")], "U", "")
    assert empty["NgayTongHop"] == "3-2026" and empty["PhanTramDanhGiaChuaHaiLong"] == "0%"
