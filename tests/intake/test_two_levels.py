"""The two-level catalogue through intake's API (a nameko container on the real database and
broker): the provincial center and the commune centers, who may receive what (Decree
118/2025 art. 20), commune-level procedures decided by the commune agency each dossier
names, and the codes of an inter-agency group (art. 28(2))."""
import pytest

from services.intake.service import IntakeService
from tests.conftest import CATALOGUE, dossier_body, procedure, query, token

BIRTH = CATALOGUE["procedures"]["1.001193"]        # đăng ký khai sinh (commune committees)
BIRTH_GROUP = CATALOGUE["procedures"]["2.000986"]  # liên thông khai sinh, thường trú, BHYT
DVCQG = "G22.99"


@pytest.fixture
def intake(container_factory, config_for, client_for):
    config = config_for("intake", DVCQG_IDENTIFIER=DVCQG)
    container_factory(IntakeService, config).start()
    return client_for(config)


def identifier(agency):
    return CATALOGUE["departments"][agency]["identifier"]


def stationed(agency, center):
    """A counter officer `agency` stationed at `center`."""
    return token("counter_officer", department=agency, center=center, subject=f"motcua.{agency}")


def staff(center):
    """One of the center's own staff."""
    return token("counter_officer", center=center, subject=f"motcua.{center}.chung")


def test_an_officer_stationed_by_a_commune_agency_receives_that_agency_s_dossiers_only(
        intake, db):
    officer = stationed("ubnd_chau_doc", "tt_chau_doc")
    mine = intake.post("/api/v1/dossiers", token=officer,
                       json=dossier_body(BIRTH, agency="ubnd_chau_doc"))
    assert mine.status_code == 201, mine.text
    assert mine.json()["code"].startswith(identifier("ubnd_chau_doc") + "-")
    for body in (dossier_body(BIRTH, agency="ubnd_long_xuyen"),
                 dossier_body(procedure(department="stp"))):
        refused = intake.post("/api/v1/dossiers", token=officer, json=body)
        assert refused.status_code == 403, refused.text
        assert "ubnd_chau_doc" in refused.json()["error"]["message"]
    assert len(query(db, "SELECT 1 FROM intake.dossiers")) == 1
    [row] = query(db, "SELECT center, receiving_unit, receiver FROM intake.dossiers")
    assert (row["center"], row["receiving_unit"]) == (
        "tt_chau_doc", CATALOGUE["centers"]["tt_chau_doc"]["identifier"])
    assert row["receiver"]["center"] == "tt_chau_doc"


@pytest.mark.parametrize("body, problem", [
    ({k: v for k, v in dossier_body(BIRTH).items() if k != "agency"},
     "Hãy chọn cơ quan giải quyết hồ sơ, một trong: ubnd_long_xuyen"),
    (dossier_body(BIRTH, agency="ca_long_xuyen"), "Hãy chọn cơ quan giải quyết hồ sơ"),
    (dossier_body(procedure(department="stp"), agency="sxd"), "do stp giải quyết, không phải sxd"),
])
def test_a_dossier_naming_no_competent_agency_is_refused_naming_the_field(intake, db, body,
                                                                         problem):
    answer = intake.post("/api/v1/dossiers", token=staff("tt_long_xuyen"), json=body)
    assert answer.status_code == 422, answer.text
    assert problem in " ".join(answer.json()["error"]["fields"]["agency"])
    assert query(db, "SELECT 1 FROM intake.dossiers") == []


def test_an_inter_agency_group_is_numbered_with_the_receiving_center_or_dvcqg_online(intake,
                                                                                     db):
    commune = CATALOGUE["centers"]["tt_phu_quoc"]
    at_counter = intake.post("/api/v1/dossiers", token=staff(commune["code"]),
                             json=dossier_body(BIRTH_GROUP, agency="ubnd_phu_quoc"))
    assert at_counter.status_code == 201, at_counter.text
    assert at_counter.json()["code"].startswith(commune["identifier"] + "-")
    assert at_counter.json()["department"] == "ubnd_phu_quoc"

    submitted = intake.post("/api/v1/submissions", token=token("portal"),
                            json=dossier_body(BIRTH_GROUP, agency="ubnd_phu_quoc"))
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["department"] == "ubnd_phu_quoc"
    received = intake.post(f"/api/v1/submissions/{submitted.json()['id']}/reception",
                           token=staff("trung_tam_tinh"))
    assert received.status_code == 201, received.text
    assert received.json()["code"].startswith(DVCQG + "-")


def test_the_center_s_staff_see_every_agency_s_receipts_a_stationed_officer_its_own(intake):
    created = intake.post("/api/v1/dossiers", token=staff("tt_rach_gia"),
                          json=dossier_body(procedure(department="syt"))).json()
    receipt = created["receipt_url"]
    assert intake.get(receipt, token=staff("trung_tam_tinh")).status_code == 200
    assert intake.get(receipt, token=stationed("syt", "trung_tam_tinh")).status_code == 200
    assert intake.get(receipt, token=stationed("ubnd_rach_gia", "tt_rach_gia")).status_code == 404


def test_an_unknown_center_in_a_token_is_refused(intake, db):
    answer = intake.post("/api/v1/dossiers", token=staff("tt_khong_co"),
                         json=dossier_body(procedure(department="stp")))
    assert answer.status_code == 403 and "tt_khong_co" in answer.json()["error"]["message"]
    assert query(db, "SELECT 1 FROM intake.dossiers") == []


def test_the_commune_agency_filter_lists_its_commune_procedures(intake):
    answer = intake.get("/api/v1/procedures?department=ca_phu_quoc").json()
    assert {p["code"] for p in answer["procedures"]} == {"1.004194", "1.004222"}
    assert all(p["department"] is None and "ca_phu_quoc" in p["competent_agencies"]
               for p in answer["procedures"])


def test_the_centers_and_agencies_of_the_catalogue_are_listed(intake):
    centers = intake.get("/api/v1/centers").json()["centers"]
    assert [c["level"] for c in centers][0] == "province"
    assert {c["code"] for c in centers} == set(CATALOGUE["centers"])
    long_xuyen = next(c for c in centers if c["code"] == "tt_long_xuyen")
    assert long_xuyen["counters"][0]["agencies"] == ["ubnd_long_xuyen"]
    agencies = {a["code"]: a for a in intake.get("/api/v1/agencies").json()["agencies"]}
    assert agencies["ubnd_long_xuyen"] == {
        "code": "ubnd_long_xuyen", "name": "Ủy ban nhân dân phường Long Xuyên",
        "kind": "commune_committee", "identifier": identifier("ubnd_long_xuyen")}
    assert agencies["ca"]["identifier"] == "000.00.02.H01"  # the older shape, still valid


def test_a_counter_slip_for_a_commune_procedure_names_the_agency_the_officer_chose(intake, db):
    """Mẫu 02 given at a commune center for a procedure several commune committees decide:
    without the agency the slip is refused naming the field and the choices; with it, the
    slip is for that agency."""
    body = {"procedure_code": BIRTH["code"], "applicant": {"full_name": "Lê Văn Tám"},
            "documents": [], "missing": [{"name": "Giấy chứng sinh"}]}
    unnamed = intake.post("/api/v1/guidance", token=staff("tt_chau_doc"), json=body)
    assert unnamed.status_code == 422, unnamed.text
    assert "ubnd_chau_doc" in unnamed.json()["error"]["fields"]["agency"][0]
    named = intake.post("/api/v1/guidance", token=staff("tt_chau_doc"),
                        json={**body, "agency": "ubnd_chau_doc"})
    assert named.status_code == 201, named.text
    assert named.json()["agency"]["code"] == "ubnd_chau_doc"
    other = intake.post("/api/v1/guidance", token=stationed("ubnd_long_xuyen", "tt_long_xuyen"),
                        json={**body, "agency": "ubnd_chau_doc"})
    assert other.status_code == 403, other.text
    assert len(query(db, "SELECT 1 FROM intake.counter_slips")) == 1
