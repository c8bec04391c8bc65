"""Postal's monthly dossier counts: the month a received dossier counts in."""
from datetime import date


def month_start(moment):
    return date(moment.year, moment.month, 1)
