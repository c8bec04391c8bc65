"""A file chosen at reception is stored under its owner's identifier: without a usable one
the officer is told what is wrong with the field itself, and beside each file why it was not
kept."""
import io

from werkzeug.datastructures import FileStorage, MultiDict

from services.desk import scans

PROCEDURE = {"documents": [{"key": "to_khai", "name": "Tờ khai"}]}


def chosen(owner_id):
    files = MultiDict({"file.to_khai": FileStorage(io.BytesIO(b"%PDF-1.7"), "to-khai.pdf")})
    documents = {"to_khai": {"given": True, "scan": None, "reused_from": None}}
    # no service is called: the identifier is checked first
    return scans.attach(None, PROCEDURE, "ca", owner_id, files, MultiDict(), documents)


def test_a_malformed_citizen_id_is_named_as_such():
    errors = chosen("0791")
    assert errors["applicant.citizen_id"] == ["Số định danh cá nhân phải gồm đúng 12 chữ số."]
    assert errors["file.to_khai"] == [scans.NEEDS_OWNER]


def test_a_missing_citizen_id_is_asked_for():
    errors = chosen("")
    assert errors["applicant.citizen_id"] == [scans.NEEDS_OWNER]
