import copy

import pytest

from services.intake.catalogue import CatalogueError, read_catalogue, validate_catalogue

SHIPPED = read_catalogue()


def raw_catalogue():
    return {
        "center": {"name": "Trung tâm Phục vụ hành chính công tỉnh", "receiving_unit": "000.00.31.H33"},
        "departments": [
            {"code": d["code"], "name": d["name"], "receiving_unit": d["receiving_unit"]}
            for d in SHIPPED["departments"].values()
        ],
        "procedures": [copy.deepcopy(p) for p in SHIPPED["procedures"].values()],
    }


def problems_of(document):
    with pytest.raises(CatalogueError) as caught:
        validate_catalogue(document)
    return caught.value.problems


def test_shipped_catalogue_is_realistic_and_valid():
    assert len(SHIPPED["procedures"]) >= 40
    assert len(SHIPPED["departments"]) >= 12
    assert any(p["cooperating"] for p in SHIPPED["procedures"].values())
    leads = {p["department"] for p in SHIPPED["procedures"].values()}
    assert leads == set(SHIPPED["departments"])


@pytest.mark.parametrize("days", [-1, -3, 500])
def test_absurd_processing_time_is_refused_with_row_and_field(days):
    doc = raw_catalogue()
    doc["procedures"][3]["processing_days"] = days
    code = doc["procedures"][3]["code"]
    [problem] = problems_of(doc)
    assert problem.startswith(f"procedures[3] ({code}): processing_days:")


def test_a_same_day_procedure_is_0_working_days_never_0_calendar_days():
    assert SHIPPED["procedures"]["2.001914"]["processing_days"] == 0  # bản sao từ sổ gốc
    doc = raw_catalogue()
    doc["procedures"][3].update(processing_days=0, day_kind="working")
    validate_catalogue(doc)
    doc["procedures"][3]["day_kind"] = "calendar"
    [problem] = problems_of(doc)
    assert "processing_days: must be between 1 and 365 calendar days (got 0)" in problem


def test_unknown_department_and_duplicate_code_are_both_reported():
    doc = raw_catalogue()
    doc["procedures"][0]["department"] = "so_khong_ton_tai"
    doc["procedures"][5]["code"] = doc["procedures"][4]["code"]
    problems = problems_of(doc)
    assert any("procedures[0]" in p and "unknown department 'so_khong_ton_tai'" in p for p in problems)
    assert any("procedures[5]" in p and "duplicate code" in p for p in problems)


def test_missing_field_and_wrong_type_are_named():
    doc = raw_catalogue()
    del doc["procedures"][1]["documents"]
    doc["procedures"][2]["fee"] = "50000"
    problems = problems_of(doc)
    assert any("procedures[1]" in p and "documents" in p for p in problems)
    assert any("procedures[2]" in p and "fee" in p for p in problems)


def test_a_receiving_unit_used_twice_is_named_with_its_row_and_owner():
    doc = raw_catalogue()
    departments = doc["departments"]
    departments[4]["receiving_unit"] = departments[1]["receiving_unit"]
    departments[6]["receiving_unit"] = doc["center"]["receiving_unit"]
    problems = problems_of(doc)
    assert f"departments[4] ({departments[4]['code']}): receiving_unit: " \
           f"{departments[1]['receiving_unit']} is already the receiving unit of " \
           f"{departments[1]['code']}" in problems
    assert f"departments[6] ({departments[6]['code']}): receiving_unit: " \
           f"{doc['center']['receiving_unit']} is already the receiving unit of the center" \
           in problems
    assert len(problems) == 2
