"""The forms routing issues while a dossier is processed (Circular 03/2025/TT-VPCP): Mẫu 02
the request to supplement, Mẫu 03 the refusal, Mẫu 04 the extension request to the one-stop
unit with the apology to the applicant, Mẫu 05 the stop notice, Mẫu 06 the control slip
(control_slip.py); and the hand-over slip of a result returned at the counter; each as JSON
and as a printable page from a template in templates/ a province can edit (the kernel's
Jinja2 environment: every value is escaped), issued in the competent agency's name."""
from collections.abc import Callable
from dataclasses import dataclass

from services.common.documents import environment
from services.common.errors import NotFound
from services.common.events import TIMEZONE, jsonable

from . import store
from .assignment import secret_matches
from .control_slip import agency_name, control_slip
from .lifecycle import relation_of

_ENV = environment(__package__)


def _supplement(cur, dossier):
    row = store.latest_supplement(cur, dossier["code"])
    return row and {"issued_at": row["requested_at"], "reason": row["reason"],
                    "documents": row["documents"], "complete_by": row["complete_by"]}


def _refusal(cur, dossier):
    return _from_history(cur, dossier, "refuse")


def _stop(cur, dossier):
    return _from_history(cur, dossier, "withdraw")


def _from_history(cur, dossier, action):
    row = store.last_history_of(cur, dossier["code"], action)
    return row and {"issued_at": row["at"], "reason": row["note"]}


RECEIVER_RELATIONS = {"applicant": "người nộp hồ sơ",
                      "authorised": "người được người nộp hồ sơ ủy quyền"}
IDENTITY_PAPERS = {"citizen_id": "Căn cước / căn cước công dân", "passport": "Hộ chiếu",
                   "other": "Giấy tờ tùy thân khác"}


def _result_handover(cur, dossier):
    row = store.result_handover_of(cur, dossier["code"])
    return row and {
        "issued_at": row["handed_at"], "handed_by": row["handed_by"],
        "result_reference": dossier["result_reference"],
        "receiver": {"full_name": row["receiver_name"], "relation": row["relation"],
                     "relation_label": RECEIVER_RELATIONS[row["relation"]],
                     "id_type": row["id_type"],
                     "id_type_label": IDENTITY_PAPERS.get(row["id_type"]),
                     "id_number": row["id_number"]}}


def extension_record(letter, dossier):
    return {"issued_at": letter["issued_at"], "reason": letter["reason"],
            "letter_number": letter["letter_number"],
            "previous_due_date": letter["previous_due_date"],
            "new_due_date": letter["new_due_date"], "legal_due_date": dossier["legal_due_date"]}


def _extension(cur, dossier):
    letter = store.extension_of(cur, dossier["code"])
    return letter and extension_record(letter, dossier)


@dataclass(frozen=True)
class Form:
    number: str
    title: str
    name: str    # in a sentence: "Không có <name> của hồ sơ ..."
    find: Callable  # (cur, dossier) -> the form's record, None when the dossier has none
    paper: str = "A5"
    # the applicant reads it with the lookup secret; the control slip names the officers
    # who held the dossier, which the applicant's lookup leaves out
    public: bool = True


FORMS = {
    "supplement_request": Form("Mẫu 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                               "phiếu yêu cầu bổ sung, hoàn thiện", _supplement),
    "refusal": Form("Mẫu 03", "PHIẾU TỪ CHỐI GIẢI QUYẾT HỒ SƠ", "phiếu từ chối giải quyết",
                    _refusal),
    "extension": Form("Mẫu 04", "PHIẾU ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT VÀ VĂN BẢN XIN "
                      "LỖI", "phiếu đề nghị gia hạn", _extension, paper="A4"),
    "stop_notice": Form("Mẫu 05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
                        "thông báo dừng giải quyết", _stop),
    "control_slip": Form("Mẫu 06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                         "phiếu kiểm soát quá trình giải quyết", control_slip, paper="A4",
                         public=False),
    # no form number: Circular 03/2025 leaves the hand-over of a result to the province
    "result_handover": Form("", "PHIẾU BÀN GIAO KẾT QUẢ GIẢI QUYẾT HỒ SƠ",
                            "phiếu bàn giao kết quả", _result_handover, public=False),
}


def may_read(dossier, secret, caller, pepper):
    if caller is None:
        return secret_matches(dossier, secret.upper(), pepper)
    return caller.role == "manager" or relation_of(caller, dossier) is not None


def issued_to_citizen(cur, dossier):
    """The forms issued on the dossier that its applicant may read, in the order of FORMS."""
    return [{"form": name, "number": form.number, "title": form.title}
            for name, form in FORMS.items() if form.public and form.find(cur, dossier)]


def form_of(cur, code, form_name, secret, caller, pepper):
    """(form name, record, dossier) of one of the dossier's forms, for the citizen with the
    lookup secret (`caller` None) or an officer of the dossier or a manager. A form the
    dossier does not have, a dossier that does not exist and a wrong proof are one answer."""
    form = FORMS.get(form_name)
    if form is None:
        raise NotFound(f"Không có mẫu {form_name}; các mẫu: {', '.join(FORMS)}.")
    dossier = store.get_dossier(cur, code)
    allowed = form.public or caller is not None
    record = (dossier and allowed and may_read(dossier, secret, caller, pepper)
              and form.find(cur, dossier))
    if not record:
        raise NotFound(f"Không có {form.name} của hồ sơ {code}.")
    return form_name, record, dossier


def view(form_name, record, dossier):
    form = FORMS[form_name]
    return jsonable({
        "form": form.number, "title": form.title, "code": dossier["code"],
        "department": dossier["department"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "received_at": dossier["received_at"].astimezone(TIMEZONE),
        **record, "issued_at": record["issued_at"].astimezone(TIMEZONE),
    })


def extension_view(letter, dossier):
    """Mẫu 04 as the answer of the extension request."""
    return view("extension", extension_record(letter, dossier), dossier)


def render_html(form_name, record, dossier, letterhead):
    form = FORMS[form_name]
    addressee = (f"Ông/Bà {dossier['recipient_name']}" if dossier.get("recipient_name")
                 else f"Ông/Bà có hồ sơ mã số {dossier['code']}")
    agency = agency_name(dossier)
    return _ENV.get_template(f"{form_name}.html").render(
        form=form, record=record, dossier=dossier, addressee=addressee,
        letterhead=letterhead, form_number=form.number, title=form.title, paper=form.paper,
        issuer=agency, number=record.get("letter_number"), department_name=agency,
        issued=record["issued_at"].astimezone(TIMEZONE),
    )
