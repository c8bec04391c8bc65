"""Post offices, and the delegation of a department's reception to one of them: allowed by
the 500-dossier rule (services.common.stationing) on the department's volume, or by a manager's override."""
import logging
from datetime import date

from services.common.errors import Conflict, Invalid, NotFound
from services.common.events import now
from services.common.stationing import STATION_THRESHOLD, judged_half_year, must_station_officers

from . import intake, store
from .errors import unknown_post_office

log = logging.getLogger("motcua.postal")


def register_post_office(cur, office):
    if store.insert_post_office(cur, office) is None:
        raise Conflict(f"Đã có bưu điện {office['code']}, hoặc bưu điện mang mã đơn vị tiếp "
                       f"nhận {office['receiving_unit']}.")
    return office


def delegate(db, intake_rpc, body, manager):
    """The new delegation's view; Conflict when the department's volume requires its own
    officers and no override reason is given."""
    intake.check_department_scope(intake_rpc, body["department"], body["procedures"])
    first_day, last_day = judged_half_year(body["valid_from"])
    with db.transaction() as cur:
        if store.get_post_office(cur, body["post_office"]) is None:
            raise unknown_post_office(body["post_office"])
        volume = store.department_volume(cur, body["department"], first_day, last_day)
        if must_station_officers(volume) and not body["override_reason"]:
            raise Conflict(
                f"Sở, ngành {body['department']} đã tiếp nhận {volume} hồ sơ từ {first_day} đến "
                f"{last_day} (từ {STATION_THRESHOLD} hồ sơ trở lên): phải cử công chức đến làm "
                "việc tại Trung tâm; lãnh đạo có thể vẫn giao cho bưu điện khi ghi rõ lý do "
                "(override_reason).",
                "department_must_station_officers")
        delegation = store.insert_delegation(cur, {
            **body, "volume": volume, "volume_from": first_day, "volume_to": last_day,
            "created_by": manager.subject})
    log.info("delegation created", extra={"department": body["department"],
                                          "post_office": body["post_office"],
                                          "overridden": bool(body["override_reason"])})
    return delegation_view(delegation)


def end(cur, delegation_id, body, manager):
    """A delegation ends early (the department stations officers again, say): it stays on
    record with the date, who ended it and why."""
    delegation = store.get_delegation(cur, delegation_id)
    if delegation is None:
        raise NotFound(f"Không có văn bản ủy quyền số {delegation_id}.")
    if body["valid_to"] < delegation["valid_from"]:
        raise Invalid("Ngày kết thúc trước ngày bắt đầu.", "valid_to",
                      {"valid_to": [f"Không được trước ngày {delegation['valid_from']}."]})
    if delegation["valid_to"] and body["valid_to"] > delegation["valid_to"]:
        raise Conflict(f"Ủy quyền đã kết thúc vào ngày {delegation['valid_to']}; muốn kéo dài "
                       "thì hãy lập ủy quyền mới.")
    return delegation_view(store.end_delegation(cur, delegation_id, body["valid_to"],
                                                 body["reason"], manager.subject))


def listed(cur, caller):
    """The delegations the caller may see (a clerk: its office's), each with `volume_now`:
    an open-ended delegation outlives the half-year that allowed it, so the manager sees the
    half-year that would judge it today."""
    office = caller.post_office if caller.role == "postal_clerk" else None
    first_day, last_day = judged_half_year(now().date())
    views = []
    for delegation in store.list_delegations(cur, office):
        volume = store.department_volume(cur, delegation["department"], first_day, last_day)
        views.append({**delegation_view(delegation), "volume_now": {
            "dossiers": volume, "from": first_day.isoformat(), "to": last_day.isoformat(),
            "must_station_officers": must_station_officers(volume)}})
    return views


def record_volumes(cur, volumes):
    """Monthly figures from before the system (or corrected ones) replace the count."""
    for volume in volumes:
        store.record_volume(cur, volume["department"],
                            date.fromisoformat(volume["month"] + "-01"), volume["dossiers"])
    return len(volumes)


def delegation_view(delegation):
    return {
        "id": delegation["id"],
        "department": delegation["department"],
        "post_office": delegation["post_office"],
        "valid_from": delegation["valid_from"].isoformat(),
        "valid_to": delegation["valid_to"] and delegation["valid_to"].isoformat(),
        "procedures": delegation["procedures"],
        "volume": {"dossiers": delegation["volume"],
                   "from": delegation["volume_from"].isoformat(),
                   "to": delegation["volume_to"].isoformat()},
        "override_reason": delegation["override_reason"],
        "created_by": delegation["created_by"],
        "end_reason": delegation["end_reason"],
        "ended_by": delegation["ended_by"],
        "created_at": delegation["created_at"].isoformat(),
    }
