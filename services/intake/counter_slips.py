"""The slips a counter officer gives instead of a receipt (Decree 118/2025 art. 17, 18;
Circular 03/2025/TT-VPCP): Mẫu 02, the guidance to complete a dossier that is not complete
(everything missing, told once and in writing), and Mẫu 03, the refusal of a dossier that
cannot be received, with the reason. Each is recorded (who, when, for whom, what was missing
or why) and numbered per receiving unit, kind and year, then printed from templates/."""
import uuid
from dataclasses import dataclass

from services.common.documents import environment
from services.common.errors import Invalid, NotAllowed, NotFound
from services.common.events import TIMEZONE

from . import store
from .reception import (
    agency_of,
    agency_problems,
    competent_agency,
    may_receive,
    officer_center,
    procedure_of,
    unit_of,
)


@dataclass(frozen=True)
class SlipKind:
    form: str
    title: str
    suffix: str   # of the number: "<n>/<suffix>"
    template: str
    name: str     # in a sentence


KINDS = {
    "guidance": SlipKind("Mẫu 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "PYCBS",
                         "guidance.html", "phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "refusal": SlipKind("Mẫu 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "PTC",
                        "counter_refusal.html", "phiếu từ chối tiếp nhận"),
}
_ENV = environment(__package__)


def issue(cur, catalogue, caller, kind, body, at):
    """Records and numbers the slip; its view. The procedure must be one the officer's agency
    receives; a guidance slip must name something missing (a mandatory document of the
    catalogue not handed in, or what the officer found wanting)."""
    procedure = procedure_of(cur, catalogue, body["procedure_code"])
    if procedure is None:
        problem = f"Không có thủ tục mã {body['procedure_code']}."
        raise Invalid(problem, fields={"procedure_code": [problem]})
    problems = agency_problems(procedure, body)
    if problems:
        raise Invalid(problems[0], fields={"agency": problems})
    agency_code = competent_agency(procedure, body)
    if not may_receive(caller, agency_code):
        raise NotAllowed(f"Công chức một cửa do {caller.department} cử chỉ tiếp nhận hồ sơ của "
                         f"cơ quan mình; thủ tục {procedure['code']} không do cơ quan này "
                         "giải quyết.")
    agency = agency_of(cur, catalogue, agency_code)
    unit = unit_of(officer_center(cur, catalogue, caller))
    missing = missing_documents(procedure, body) if kind == "guidance" else []
    issued = at.astimezone(TIMEZONE)
    number = store.next_slip_number(cur, unit["code"], kind, issued.year)
    slip = {
        "id": str(uuid.uuid4()), "kind": kind, "form": KINDS[kind].form,
        "title": KINDS[kind].title, "number": f"{number}/{KINDS[kind].suffix}",
        "receiving_unit": {"code": unit["code"], "name": unit["name"]},
        "agency": {"code": agency["code"], "name": agency["name"]},
        "procedure": {"code": procedure["code"], "name": procedure["name"]},
        "applicant": body["applicant"], "missing": missing, "reason": body.get("reason"),
        "issued_at": issued.isoformat(), "issued_by": caller.subject,
    }
    store.insert_counter_slip(cur, slip)
    return view(slip)


def missing_documents(procedure, body):
    """Each mandatory document of the procedure not handed in, then what the officer adds
    (a document handed in but not valid, say); Invalid when that leaves nothing."""
    catalogue = {d["key"]: d for d in procedure["documents"]}
    given = [d["key"] for d in body["documents"]]
    strangers = [key for key in given if key not in catalogue]
    if strangers:
        raise Invalid("Có giấy tờ không thuộc thủ tục.", fields={"documents": [
            f"'{key}' không phải thành phần hồ sơ của thủ tục {procedure['code']}."
            for key in strangers]})
    missing = [{"key": d["key"], "name": d["name"], "note": "Chưa nộp (giấy tờ bắt buộc)."}
               for d in procedure["documents"] if d["mandatory"] and d["key"] not in given]
    missing += [{"key": None, **item} for item in body["missing"]]
    if not missing:
        problem = ("Hồ sơ đã có đủ giấy tờ bắt buộc: hãy tiếp nhận, hoặc ghi rõ giấy tờ cần bổ "
                   "sung, hoàn thiện.")
        raise Invalid(problem, fields={"missing": [problem]})
    return missing


def slip_for(cur, caller, kind, slip_id):
    """The slip as the caller may see it: a counter officer stationed by an agency its
    agency's only."""
    try:
        found = store.get_counter_slip(cur, uuid.UUID(slip_id), kind)
    except ValueError:
        found = None
    if found is None or (caller.role == "counter_officer" and not caller.center_staff
                         and found["department"] != caller.department):
        raise NotFound(f"Không có {KINDS[kind].name} {slip_id} (hoặc bạn không được xem).")
    return view(found["slip"])


def view(slip):
    path = "guidance" if slip["kind"] == "guidance" else "refusals"
    return {**slip, "print_url": f"/api/v1/{path}/{slip['id']}?format=html"}


def render_html(slip, letterhead):
    kind = KINDS[slip["kind"]]
    return _ENV.get_template(kind.template).render(
        slip=slip, letterhead=letterhead, form_number=kind.form, title=kind.title, paper="A5",
        issuer=slip["receiving_unit"]["name"], number=slip["number"], issued=slip["issued_at"])
