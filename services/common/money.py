"""Amounts of money as a Vietnamese reader writes them."""


def vnd(amount):
    """1100000 -> '1.100.000 đồng': dots between thousands, the unit spelled out as on
    receipts and appointment slips."""
    return f"{amount:,}".replace(",", ".") + " đồng"
