"""Vietnamese phone numbers: one normal form (0xxxxxxxxx) for storage, lookup and sending."""
import re

_MOBILE = re.compile(r"^0(3|5|7|8|9)\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")


def normalise_phone(value):
    """'+84 912 345 678', '84912345678', '0912.345.678' -> '0912345678'; None if invalid."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None


def international(phone):
    """'0912345678' -> '+84912345678' (what SMS gateways expect)."""
    return "+84" + phone[1:]
