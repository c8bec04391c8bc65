import copy

import pytest

from services.intake.catalogue import CatalogueError, read_catalogue, validate_catalogue

SHIPPED = read_catalogue()


def raw_catalogue():
    return {
        "centers": [copy.deepcopy(c) for c in SHIPPED["centers"].values()],
        "departments": [copy.deepcopy(d) for d in SHIPPED["departments"].values()],
        "sectors": [{"code": code, "name": name} for code, name in sorted(
            {(p["sector_code"], p["sector_name"]) for p in SHIPPED["procedures"].values()})],
        "procedures": [{k: v for k, v in copy.deepcopy(p).items() if k != "sector_name"}
                       for p in SHIPPED["procedures"].values()],
    }


def problems_of(document):
    with pytest.raises(CatalogueError) as caught:
        validate_catalogue(document)
    return caught.value.problems


def test_shipped_catalogue_is_realistic_and_valid():
    procedures = SHIPPED["procedures"].values()
    assert len(SHIPPED["procedures"]) >= 40
    assert len(SHIPPED["departments"]) >= 12
    assert any(p["cooperating"] for p in procedures)
    leads = {a for p in procedures for a in p["competent_agencies"] or [p["department"]]}
    consulted = {a for p in procedures for a in p["cooperating"]}
    assert leads | consulted == set(SHIPPED["departments"])


def test_the_shipped_catalogue_has_two_levels():
    """A provincial center and at least five commune centers; the commune procedures people
    use most, decided by every commune's agency, beside the provincial ones."""
    levels = [c["level"] for c in SHIPPED["centers"].values()]
    assert levels.count("province") == 1 and levels.count("commune") >= 5
    committees = {code for code, d in SHIPPED["departments"].items()
                  if d["kind"] == "commune_committee"}
    assert len(committees) >= 5
    for code in ("1.001193", "1.000894", "2.000815", "1.013978"):  # birth, marriage, copies, land
        assert set(SHIPPED["procedures"][code]["competent_agencies"]) == committees
    assert SHIPPED["procedures"]["1.004194"]["sector_name"] == "Đăng ký, quản lý cư trú"
    assert SHIPPED["procedures"]["2.000986"]["inter_agency"]
    assert {p["department"] for p in SHIPPED["procedures"].values()} >= {"stp", "sxd", "ca"}


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


def test_an_identifier_used_twice_is_named_with_its_row_and_owner():
    doc = raw_catalogue()
    departments = doc["departments"]
    departments[4]["identifier"] = departments[1]["identifier"]
    departments[6]["identifier"] = doc["centers"][0]["identifier"]
    problems = problems_of(doc)
    assert f"departments[4] ({departments[4]['code']}): identifier: " \
           f"{departments[1]['identifier']} is already the identifier of " \
           f"{departments[1]['code']}" in problems
    assert f"departments[6] ({departments[6]['code']}): identifier: " \
           f"{doc['centers'][0]['identifier']} is already the identifier of center " \
           f"{doc['centers'][0]['code']}" in problems
    assert len(problems) == 2


def test_identifiers_of_decision_20_2020_and_of_circular_10_2016_both_load():
    doc = raw_catalogue()
    doc["departments"][0]["identifier"] = "H15.50.05.13"
    doc["departments"][1]["identifier"] = "000.00.31.H33"
    doc["departments"][2]["identifier"] = "G09.01"
    doc["centers"][0]["identifier"] = "H15.50.05"
    loaded = validate_catalogue(doc)["departments"]
    assert [loaded[d["code"]]["identifier"] for d in doc["departments"][:3]] == [
        "H15.50.05.13", "000.00.31.H33", "G09.01"]


@pytest.mark.parametrize("identifier", [
    "15.50.05.13",        # no level-1 group
    "h15.50.05.13",       # a small letter
    "H15-50-05-13",       # not dot-separated
    "000.00.31.33H",      # neither shape
    "H15" + ".50" * 11,   # 36 characters
])
def test_a_bad_identifier_is_refused_naming_its_row(identifier):
    doc = raw_catalogue()
    doc["departments"][3]["identifier"] = identifier
    problems = problems_of(doc)  # then its procedures name an agency the file lacks
    code = doc["departments"][3]["code"]
    assert problems[0].startswith(f"departments[3] ({code}): identifier: Mã định danh điện tử "
                                  "không đúng")
    assert all(f"unknown department {code!r}" in p or "unknown agency" in p
               or "not another known department" in p for p in problems[1:])


def test_every_procedure_has_a_known_sector_and_carries_its_name():
    assert all(p["sector_name"] for p in SHIPPED["procedures"].values())
    assert SHIPPED["procedures"]["2.000488"]["sector_name"] == "Lý lịch tư pháp"
    doc = raw_catalogue()
    doc["procedures"][2]["sector_code"] = "linh_vuc_la"
    del doc["procedures"][3]["sector_code"]
    doc["sectors"].append({"code": "Bad Code", "name": "Tên"})
    problems = problems_of(doc)
    code_2, code_3 = doc["procedures"][2]["code"], doc["procedures"][3]["code"]
    assert f"procedures[2] ({code_2}): sector_code: unknown sector 'linh_vuc_la'" in problems
    assert any(p.startswith(f"procedures[3] ({code_3}): sector_code:") for p in problems)
    assert any(p.startswith(f"sectors[{len(doc['sectors']) - 1}] (Bad Code): code:")
               for p in problems)


def test_a_procedure_names_its_department_or_its_competent_agencies_never_both():
    doc = raw_catalogue()
    birth = next(i for i, p in enumerate(doc["procedures"]) if p["code"] == "1.001193")
    doc["procedures"][birth]["department"] = "stp"
    doc["procedures"][0]["department"] = None
    doc["procedures"][1]["competent_agencies"] = ["ubnd_long_xuyen", "ubnd_xa_la"]
    doc["procedures"][1]["department"] = None
    problems = problems_of(doc)
    assert any(p.startswith(f"procedures[{birth}] (1.001193): department: give either") for p in problems)
    assert any(p.startswith("procedures[0] (") and "department: give either" in p for p in problems)
    assert any(p.startswith("procedures[1] (") and "competent_agencies: unknown department "
               "'ubnd_xa_la'" in p for p in problems)
    assert len(problems) == 3


def test_a_counter_of_an_unknown_agency_and_two_provincial_centers_are_refused():
    doc = raw_catalogue()
    doc["centers"][1]["counters"][0]["agencies"] = ["so_khong_co"]
    doc["centers"][2]["level"] = "province"
    problems = problems_of(doc)
    assert f"centers ({doc['centers'][1]['code']}): counters[1]: unknown agency " \
           "'so_khong_co'" in problems
    assert "centers: exactly one center must be of level province (found 2)" in problems
