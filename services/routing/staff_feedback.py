"""The officers' own feedback on their work at the center, given directly and without fear of
their agency (seed 002 item 7), so none of it can be traced to who gave it:

- the token only proves the caller is a counter officer: nothing of it is kept (no account
  id, department or time of day: the month the answer counts in; each answer rewrites the
  month's rows under new random keys, so that neither their order nor the transaction that
  wrote them dates one), and no line is logged; an Idempotency-Key is not honoured here,
  since keeping it would keep the caller's id beside it;
- the answers are shown only in aggregate, one month at a time, once the month has at
  least STAFF_FEEDBACK_MIN_ANSWERS (5 or more). Only whole months: the summaries of
  overlapping periods would tell, by difference, what a month under the threshold holds.
  The suggestions are shown in alphabetical order, which says nothing of when each came."""
from collections import Counter
from datetime import date

from services.common.contracts import SATISFACTION_LEVELS

from . import store

# Seed 002: the work given, the premises and equipment, the software, the authority
# delegated, how the agencies work together, how the center is run.
TOPICS = ("workload", "facilities", "software", "delegation", "coordination", "management")
TOPIC_LABELS = {
    "workload": "Khối lượng công việc được giao tại Trung tâm",
    "facilities": "Cơ sở vật chất, trang thiết bị làm việc",
    "software": "Phần mềm một cửa điện tử",
    "delegation": "Việc phân cấp, ủy quyền của cơ quan cử Ông/Bà đến Trung tâm",
    "coordination": "Sự phối hợp giữa các sở, ngành và Trung tâm",
    "management": "Công tác quản lý, điều hành của Trung tâm",
}
# the fewest answers a month's summary shows; STAFF_FEEDBACK_MIN_ANSWERS may ask for more
MIN_ANSWERS = 5


def give(cur, body, today, minimum):
    """Keeps the answers under the month of `today` and nothing else; returns the answer."""
    month = today.replace(day=1)
    store.add_staff_feedback(cur, month, body["answers"], body["suggestion"])
    return {"month": f"{month:%Y-%m}",
            "message": "Cảm ơn Ông/Bà đã góp ý. Ý kiến không gắn với tài khoản của Ông/Bà và "
                       f"chỉ được tổng hợp theo tháng, khi tháng có từ {minimum} ý kiến trở lên."}


def summary(cur, month, minimum):
    """The month's answers in aggregate (`month`: YYYY-MM), or nothing of them, not even how
    many, while there are fewer than `minimum`."""
    first = date.fromisoformat(f"{month}-01")
    rows = store.staff_feedback_of(cur, first)
    if len(rows) < minimum:
        return {"month": month, "shown": False, "minimum_answers": minimum, "answers": None,
                "topics": None, "suggestions": None,
                "message": f"Chưa đủ {minimum} ý kiến trong tháng: kết quả chỉ được hiển thị "
                           "khi đủ số ý kiến, để không ai bị nhận ra qua ý kiến của mình."}
    counted = Counter((topic, row["answers"][topic]) for row in rows for topic in TOPICS)
    topics = {topic: {level: counted[topic, level] for level in SATISFACTION_LEVELS}
              for topic in TOPICS}
    return {"month": month, "shown": True, "minimum_answers": minimum, "answers": len(rows),
            "topics": topics,
            "suggestions": sorted(row["suggestion"] for row in rows if row["suggestion"])}
