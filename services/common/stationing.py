"""The 500-dossier rule (the province's decision, seed 000 item 5): an agency with 500 or more
dossiers in the first six months of the year must station its own officers at the center;
one with fewer may hand reception to the post office.

The dossiers counted are the department's received dossiers (every channel) whose reception
day, in Asia/Ho_Chi_Minh, is from 1 January to 30 June. The half-year that judges a day is
the latest one over by then: from July of year Y, January–June of Y; before July,
January–June of Y-1 (a half-year in progress would let any department pass in January).

Pure dates and numbers: each service counts the dossiers it holds and asks this module."""
from datetime import date

STATION_THRESHOLD = 500


def first_half_of(year):
    """(first day, last day) of the six months the rule counts in `year`."""
    return date(year, 1, 1), date(year, 6, 30)


def judged_half_year(day):
    """(first day, last day) of the half-year whose count decides on `day`."""
    return first_half_of(day.year if day.month >= 7 else day.year - 1)


def is_first_half(since, until):
    """Whether [since, until] is exactly a period the rule counts."""
    return (since, until) == first_half_of(since.year)


def must_station_officers(dossiers):
    return dossiers >= STATION_THRESHOLD
