"""Vietnamese phone numbers, read by libphonenumber's rules for Viet Nam: one normal form
(0xxxxxxxxx, the national form) for storage, lookup and sending."""
import re

import phonenumbers
from marshmallow import ValidationError, fields
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

REGION = "VN"
_COUNTRY_CODE = phonenumbers.country_code_for_region(REGION)
# The national form as typed, digits only: libphonenumber's parse would only strip the national
# prefix (VN's is "0", with no transform rule), so the number is built without it.
_NATIONAL_DIGITS = re.compile(r"0[1-9][0-9]{5,9}")  # ASCII digits only, as _parse takes
# What people type around the digits; libphonenumber alone would also take letters (as on
# a keypad) and read "ext." as an extension.
_SEPARATORS = frozenset("+.-()")


def _parse(value):
    """The number `value` writes, if it is one of Viet Nam's (+84); not yet checked valid."""
    if value and _NATIONAL_DIGITS.fullmatch(value):
        return PhoneNumber(country_code=_COUNTRY_CODE, national_number=int(value[1:]))
    if not value or not all(ch in "0123456789" or ch in _SEPARATORS or ch.isspace() for ch in value):
        return None
    try:
        number = phonenumbers.parse(value, REGION)
    except NumberParseException:
        return None
    return number if number.country_code == _COUNTRY_CODE else None


def _normal(value, kinds):
    """The normal form of the number `value` writes if it is valid and of one of these kinds
    (an invalid number has none: number_type is the validity check, done once)."""
    number = _parse(value)
    if number is None or phonenumbers.number_type(number) not in kinds:
        return None
    return "0" + str(number.national_number)


def normalise_phone(value):
    """'+84 912 345 678', '84912345678', '0912.345.678' -> '0912345678'; a landline too
    ('028 3812 3456' -> '02838123456'); None if it is neither."""
    return _normal(value, (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE))


def mobile_phone(value):
    """The normal form of a mobile number, the only kind an SMS reaches; None otherwise."""
    return _normal(value, (PhoneNumberType.MOBILE,))


def international(phone):
    """'0912345678' -> '+84912345678' (E.164, what SMS gateways expect)."""
    return phonenumbers.format_number(phonenumbers.parse(phone, REGION), PhoneNumberFormat.E164)


def mask_phone(phone):
    """'0912345678' -> '***678': the last three digits, enough for its owner to know it."""
    return "***" + phone[-3:]


class Phone(fields.String):
    """A Vietnamese phone number (mobile or landline), loaded in its normal form: parsed once."""

    def _deserialize(self, value, attr, data, **kwargs):
        normal = normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        if normal is None:
            raise ValidationError(
                "Không phải số điện thoại Việt Nam (ví dụ 0912345678 hoặc +84912345678).")
        return normal
