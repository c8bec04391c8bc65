"""`motcua portal reconcile` and `motcua portal import-catalogue` against the fake DVCQG:
what the portal lost is found and pushed again; the catalogue's differences are reported,
nothing changed."""
from tests.conftest import CATALOGUE, wait_for
from tests.nationalportal.conftest import MANAGER, shown, synced
from tests.nationalportal.test_sync import receive
from tooling.portal import portal_command, printed


def test_reconcile_pushes_again_what_the_portal_lost(linked):
    intake, national, portal, amqp_uri = linked
    kept, lost = receive(intake), receive(intake)
    synced(national, kept)
    synced(national, lost)
    with portal.lock:
        del portal.dossiers[lost]
        portal.progress.pop(lost)
        portal.progress[kept].pop()  # a step it lost
    report = portal_command(national.base, MANAGER, "reconcile", "2000-01-01")
    assert report["missing"] == [lost] and report["differing"] == [kept]
    assert "missing=1 differing=1" in printed("reconcile", report)
    wait_for(lambda: shown(portal, lost)[0] is not None)
    synced(national, lost)
    synced(national, kept)
    assert len(shown(portal, kept)[1]) == len(shown(portal, lost)[1]) == 2
    again = portal_command(national.base, MANAGER, "reconcile", "2000-01-01")
    assert again["missing"] == [] and again["differing"] == []


def test_import_catalogue_reports_differences_and_changes_nothing(linked):
    intake, national, portal, amqp_uri = linked
    procedures = list(CATALOGUE["procedures"].values())
    portal.catalogue.update({
        "procedures": [{"MaTTHC": p["code"], "TenTTHC": p["name"]} for p in procedures[1:]]
        + [{"MaTTHC": "9.999999", "TenTTHC": "Thủ tục chỉ có trên Cổng"}],
        "agencies": [], "sectors": []})
    portal.catalogue["procedures"][0]["TenTTHC"] = "Tên khác"
    report = portal_command(national.base, MANAGER, "import-catalogue")
    assert report["procedures"]["missing_on_portal"] == [procedures[0]["code"]]
    assert report["procedures"]["missing_locally"] == ["9.999999"]
    assert [row["code"] for row in report["procedures"]["differing"]] == [procedures[1]["code"]]
    assert report["matches"] is False
    assert "differences found: nothing was changed" in printed("import-catalogue", report)
    assert intake.get(f"/api/v1/procedures/{procedures[0]['code']}").status_code == 200


def test_a_moment_the_database_cannot_keep_is_refused_naming_since(linked):
    _, national, _, _ = linked
    for since in ("2026-12-01T00:00:00-19:01", "0001-01-01T00:00:00+14:00"):
        answer = national.post("/api/v1/reconciliations", token=MANAGER, json={"since": since})
        assert answer.status_code == 422, since
        assert "múi giờ" in answer.json()["error"]["fields"]["since"][0]
