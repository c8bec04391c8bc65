"""intake's domain errors, beyond the kernel's (services.common.errors)."""
from services.common.errors import Unavailable


class NumbersExhausted(Unavailable):
    """The receiving unit has numbered 9,999 dossiers today: XXXX of the code has four digits."""

    code = "numbers_exhausted"
    retry_after = None  # the numbers come back tomorrow, not in seconds


class CatalogueNotLoaded(Unavailable):
    """The procedure is known but the center's receiving unit is not: the catalogue load that
    brings it has not run."""

    code = "catalogue_not_loaded"
