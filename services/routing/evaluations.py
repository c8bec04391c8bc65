"""Evaluations by Decree 118/2025 art. 31-33.

- The applicant evaluates a dossier once, on the nine items of art. 33(1), with the lookup
  secret, whatever final status it reached (returned, refused, withdrawn, closed); the
  evaluation is attributed to the officers who handled the dossier and announced as
  `dossier.evaluated` for the National Public Service Portal.
- One visit at a counter is evaluated on the electronic device there (art. 31(1)(b)): the
  device is signed in as the counter's officer, who is the one the evaluation names.
- Managers see both per agency, per officer and per month; the public summary, published at
  the center, has no officer and nothing the applicants wrote.

The levels are the province's scale (config/evaluation.yml: the three of the portals'
satisfaction surveys as shipped); an item that did not concern the applicant is answered "not
applicable" and left out of the satisfaction rate."""
import csv
import io
from collections import defaultdict

from services.common.contracts import (
    EVALUATION_ANSWERS,
    EVALUATION_ITEMS,
    FINAL_STATUSES,
    SATISFACTION_LEVELS,
    DossierEvaluated,
)
from services.common.errors import Conflict, Invalid, NotFound
from services.common.events import publish
from services.common.rating_scale import SCALE

from . import staff_feedback, store
from .assignment import secret_matches
from .citizen import NO_DOSSIER_FOR_SECRET
from .lifecycle import SOURCE, STATUS_LABELS, local_day, local_days, public_status

ITEM_LABELS = {
    "time": "a) Thời gian giải quyết thủ tục hành chính so với thời hạn theo quy định",
    "agencies": "b) Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ",
    "contacts": "c) Số lần phải liên hệ để hoàn thiện hồ sơ",
    "published_information": "d) Sự chính xác, đầy đủ của thông tin thủ tục hành chính được "
                             "công khai",
    "attitude": "đ) Thái độ của cán bộ, công chức, viên chức khi hướng dẫn, tiếp nhận và giải "
                "quyết hồ sơ",
    "result_and_costs": "e) Kết quả giải quyết đúng quy định; chi phí thực hiện, không phát "
                        "sinh chi phí ngoài quy định",
    "complaints": "g) Việc tiếp thu, giải trình ý kiến phản ánh, kiến nghị của tổ chức, cá nhân",
    "online_services": "h) Chất lượng dịch vụ công trực tuyến",
    "other": "i) Các nội dung khác",
}
ANSWER_LABELS = SCALE.labels
ALREADY_EVALUATED = "Hồ sơ này đã được đánh giá: mỗi hồ sơ chỉ được đánh giá một lần."


def _choices(values, labels):
    return [{"value": value, "label": labels[value]} for value in values]


def forms(feedback_minimum):
    """What each form asks, with the Vietnamese words the desk and the counter device show
    (`feedback_minimum`: the answers a month of the officers' feedback needs to be shown)."""
    levels = _choices(SATISFACTION_LEVELS, ANSWER_LABELS)
    return {
        "dossier": {"items": _choices(EVALUATION_ITEMS, ITEM_LABELS),
                    "answers": _choices(EVALUATION_ANSWERS, ANSWER_LABELS)},
        "counter_visit": {"question": "Ông/Bà có hài lòng với sự phục vụ của công chức tại "
                                     "quầy này không?", "levels": levels},
        "staff_feedback": {"topics": _choices(staff_feedback.TOPICS,
                                              staff_feedback.TOPIC_LABELS),
                           "levels": levels,
                           "minimum_answers_shown": feedback_minimum},
    }


# the applicant's evaluation of a dossier ------------------------------------------------------
def evaluate_dossier(cur, code, body, now, pepper, correlation_id):
    """Records the applicant's one evaluation of a dossier in a final status, attributed to
    the officers who handled it, and announces it; returns the answer."""
    dossier = store.get_dossier(cur, code, lock=True)
    if dossier is None or not secret_matches(dossier, body["secret"].upper(), pepper):
        raise NotFound(NO_DOSSIER_FOR_SECRET)
    status = dossier["status"]
    if status not in FINAL_STATUSES:
        raise Conflict("Hồ sơ được đánh giá khi đã kết thúc (đã trả kết quả, bị từ chối, đã "
                       "rút hoặc đã đóng); hồ sơ đang ở trạng thái "
                       f"“{STATUS_LABELS[public_status(status)]}”.", "not_final")
    officers = store.officers_of(cur, code)
    evaluation = {"code": code, "department": dossier["department"], "answers": body["answers"],
                  "comment": body["comment"], "officers": officers, "evaluated_at": now}
    if not store.add_evaluation(cur, evaluation):
        raise Conflict(ALREADY_EVALUATED, "already_evaluated")
    publish(cur, SOURCE, "dossier.evaluated", DossierEvaluated, {
        "code": code, "department": dossier["department"],
        "procedure_code": dossier["procedure_code"], "status": status,
        "answers": body["answers"], "officers": officers, "evaluated_at": now,
    }, correlation_id, code)
    return {"code": code, "status": status, "officers": officers}


# one visit at a counter ---------------------------------------------------------------------
def evaluate_visit(cur, officer, body, now):
    """A visit at the counter of `officer` (the Principal the counter's device is signed in
    as), evaluated there; returns the answer. It counts for the agency that stationed the
    officer, or for the center when the officer is of the center's own staff."""
    if body["dossier_code"] and store.get_dossier(cur, body["dossier_code"]) is None:
        raise Invalid(f"Không có hồ sơ {body['dossier_code']}.", "dossier_code")
    unit = officer.department or officer.center
    store.add_counter_evaluation(cur, {
        "officer": officer.subject, "department": unit, "level": body["level"],
        "comment": body["comment"], "dossier_code": body["dossier_code"], "evaluated_at": now})
    return {"officer": officer.subject, "department": unit,
            "level": body["level"], "evaluated_at": now.isoformat()}


# aggregates ---------------------------------------------------------------------------------
def _figures():
    return {"dossier_evaluations": 0,
            "items": {item: dict.fromkeys(EVALUATION_ANSWERS, 0) for item in EVALUATION_ITEMS},
            "counter_visits": {"total": 0, **dict.fromkeys(SATISFACTION_LEVELS, 0)},
            "satisfaction_rate": None}


def _count_evaluation(figures, answers):
    figures["dossier_evaluations"] += 1
    for item, answer in answers.items():
        figures["items"][item][answer] += 1


def _count_visit(figures, level):
    figures["counter_visits"]["total"] += 1
    figures["counter_visits"][level] += 1


def _with_rate(figures):
    """The share, in percent, of the answers given (not applicable left out) on a level the
    scale counts as satisfied, over the items of the dossiers and the counter visits."""
    counts = [*figures["items"].values(), figures["counter_visits"]]
    satisfied = sum(c[level] for c in counts for level in SCALE.satisfied)
    given = sum(c[level] for c in counts for level in SATISFACTION_LEVELS)
    figures["satisfaction_rate"] = round(100 * satisfied / given, 1) if given else None
    return figures


def _month_of(at):
    return f"{local_day(at):%Y-%m}"


def summary(cur, start, end, department=None, officers=True):
    """The evaluations given in [start, end] (of one agency's dossiers and counters, with
    `department`): in total, per agency, per month and, unless `officers` is False, per
    officer (each evaluation counts for every officer it is attributed to)."""
    groups = {"department": defaultdict(_figures), "month": defaultdict(_figures),
              "officer": defaultdict(_figures)}
    totals = _figures()
    for row in store.evaluations_in(cur, *local_days(start, end), department):
        keys = {"department": [row["department"]], "month": [_month_of(row["evaluated_at"])],
                "officer": row["officers"]}
        for figures in (totals, *(groups[g][k] for g, ks in keys.items() for k in ks)):
            _count_evaluation(figures, row["answers"])
    for row in store.counter_evaluations_in(cur, *local_days(start, end), department):
        keys = {"department": row["department"], "month": _month_of(row["evaluated_at"]),
                "officer": row["officer"]}
        for figures in (totals, *(groups[g][k] for g, k in keys.items())):
            _count_visit(figures, row["level"])
    report = {"start": start.isoformat(), "end": end.isoformat(), "department": department,
              "totals": _with_rate(totals)}
    for group in ("department", "month", *(("officer",) if officers else ())):
        report[f"by_{group}"] = [{group: key, **_with_rate(figures)}
                                 for key, figures in sorted(groups[group].items())]
    return report


def public_summary(cur, start, end, department=None):
    """For publication: per agency and month, no officer, nothing the applicants wrote."""
    return summary(cur, start, end, department, officers=False)


# CSV -----------------------------------------------------------------------------------------
COLUMNS = ("dossier_evaluations", "satisfaction_rate",
           *(f"{item}_{answer}" for item in EVALUATION_ITEMS for answer in EVALUATION_ANSWERS),
           "counter_visits", *(f"counter_visits_{level}" for level in SATISFACTION_LEVELS))


def _flat(figures):
    flat = {"dossier_evaluations": figures["dossier_evaluations"],
            "satisfaction_rate": figures["satisfaction_rate"],
            "counter_visits": figures["counter_visits"]["total"]}
    for item, answers in figures["items"].items():
        flat.update({f"{item}_{answer}": n for answer, n in answers.items()})
    flat.update({f"counter_visits_{level}": figures["counter_visits"][level]
                 for level in SATISFACTION_LEVELS})
    return flat


def summary_csv(report):
    """One row per agency, month and officer (as the summary has them), then the total."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("group", "key", *COLUMNS))
    for group in ("department", "month", "officer"):
        for row in report.get(f"by_{group}", ()):
            flat = _flat(row)
            writer.writerow((group, row[group], *(flat[c] for c in COLUMNS)))
    flat = _flat(report["totals"])
    writer.writerow(("total", "ALL", *(flat[c] for c in COLUMNS)))
    return out.getvalue()
