"""The periods of Decree 118/2025 art. 19 on the working-day calendar: the last day a
supplement may be asked, the period that restarts from zero with the complete dossier, the last
day to complete it before closure, and the last day to ask for an extension. The reception day
is day 0; "the Nth working day" is the Nth working day after it (Civil Code art. 147)."""
from datetime import timedelta

from .lifecycle import local_day


def last_day_for_supplement(calendar, dossier, settings):
    """The last day the agency may ask for a supplement (art. 19(5): within 3 working days)."""
    return calendar.add_working_days(calendar.reception_day(dossier["received_at"]),
                                     settings.supplement_request_working_days)


def completion_deadline(calendar, notified_at, settings):
    """The last day to hand in the complete dossier after the supplement's notice: N days
    later (calendar days by default); a period ending on a day off ends on the next working
    day (Civil Code art. 148)."""
    day, count = local_day(notified_at), settings.supplement_completion_days
    if settings.supplement_completion_day_kind == "working":
        return calendar.add_working_days(day, count)
    end = day + timedelta(days=count)
    return end if calendar.is_working_day(end) else calendar.next_working_day(end)


def restarted_due_date(calendar, dossier, resubmitted_at):
    """The due date of the period that restarts from zero when the complete dossier arrives:
    the procedure's full time counted from the resubmission, as from a reception."""
    procedure = dossier["procedure"]
    return calendar.due_date(resubmitted_at, procedure["processing_days"],
                             procedure["day_kind"])


def last_day_for_extension(calendar, due_date, settings):
    """The last day the agency may ask to extend (art. 19(6): at the latest 1 day before the
    due date, read as the last working day before it)."""
    day = due_date
    for _ in range(settings.extension_notice_working_days):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day
