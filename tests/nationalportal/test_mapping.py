"""The mapping to DVCQG's fields: every lifecycle status has its code (domain.md's table),
dates go as yyyyMMddHHmmss in Asia/Ho_Chi_Minh, and a value the portal requires that motcua
lacks is refused naming the field."""
from datetime import UTC, datetime

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
        "code": "H01.40-261208-0001", "channel": "counter",
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
    registered = mapping.step_row("G22-0001", mapping.reception_step_facts(
        "awaiting_reception", "stp", "2026-12-08T09:30:00+07:00",
        due="2026-12-09T09:30:00+07:00"), "2026-12-08T09:30:00+07:00")
    assert (registered["MaHoSo"], registered["TrangThai"]) == ("G22-0001", "1")
    assert registered["NgayKetThucTheoQuyDinh"] == "20261209093000"  # the reception's deadline
    refused = mapping.step_row("G22-0001", mapping.reception_step_facts(
        "refused_at_reception", "stp", "2026-12-08T14:00:00+07:00", reason="Đơn chưa ký."),
        "2026-12-08T14:00:00+07:00")
    assert refused["TrangThai"] == "3" and refused["NoiDungXuLy"].endswith(": Đơn chưa ký.")
    assert refused["NgayKetThucTheoQuyDinh"] == ""
    with pytest.raises(mapping.MissingField) as missing:
        mapping.step_row("G22-0001", mapping.reception_step_facts(
            "awaiting_reception", "", "2026-12-08T09:30:00+07:00"), "2026-12-08T09:30:00+07:00")
    assert missing.value.field == "NguoiXuLy"
