"""The 500-dossier rule (Decision of the province, seed 000 item 5): a department with 500 or
more dossiers in the first six months of the year must station its own officers at the
center; only one with fewer may hand reception to a post office.

Which first half-year: the latest one completed before the delegation starts. A delegation
starting in July–December of year Y is judged on January–June of Y; one starting in
January–June of Y on January–June of Y-1 (the first half of Y is not over yet, and a
partial count would let any department pass in January)."""
from datetime import date


def judged_half_year(valid_from):
    """(first day, last day) of the first half-year that decides a delegation starting then."""
    year = valid_from.year if valid_from.month >= 7 else valid_from.year - 1
    return date(year, 1, 1), date(year, 6, 30)


def must_station_officers(volume, threshold):
    return volume >= threshold


def month_start(moment):
    return date(moment.year, moment.month, 1)
