"""Phone numbers as the kernel reads them (libphonenumber, region VN): the normal form
stored and looked up (0xxxxxxxxx), the mobile numbers an SMS can reach, the masked form."""
import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from services.common.logs import mask_text
from services.common.phones import international, mask_phone, mobile_phone, normalise_phone

MOBILES = {
    "Viettel": ["0862345678", "0962345678", "0972345678", "0982345678", "0332345678"],
    "Vinaphone": ["0882345678", "0912345678", "0942345678", "0812345678", "0852345678"],
    "Mobifone": ["0896345678", "0902345678", "0932345678", "0702345678", "0792345678"],
}
ALL_MOBILES = [(carrier, n) for carrier, numbers in MOBILES.items() for n in numbers]
LANDLINES = ["02838123456", "02438253536", "02363822222"]  # Hồ Chí Minh, Hà Nội, Đà Nẵng


@pytest.mark.parametrize("carrier, number", ALL_MOBILES)
def test_mobile_numbers_in_every_written_form_have_one_normal_form(carrier, number):
    e164 = "+84" + number[1:]
    for written in (number, e164, e164[1:], f"{e164[:3]} {e164[3:6]} {e164[6:9]} {e164[9:]}",
                    f"{number[:4]}.{number[4:7]}.{number[7:]}", f"({number[:4]}) {number[4:]}"):
        assert normalise_phone(written) == number, written
        assert mobile_phone(written) == number, written
    assert international(number) == e164


@pytest.mark.parametrize("number", LANDLINES)
def test_landlines_are_accepted_as_contacts_but_cannot_receive_an_sms(number):
    assert normalise_phone(number) == number
    assert normalise_phone("+84" + number[1:]) == number
    assert mobile_phone(number) is None


@pytest.mark.parametrize("written", [
    "", None, "abc", "091234567", "09123456789", "0112345678", "0123456789",
    "0992345678",  # a mobile prefix no carrier has been given
    "1900123456",  # a premium-rate number: not a citizen's phone
    "+1 650 253 0000", "0912345678 ext. 12", "09123ABCDE",
    "09\uff11\uff12345678",  # full-width digits: not what a phone field takes
])
def test_what_is_not_a_vietnamese_mobile_or_landline_is_refused(written):
    assert normalise_phone(written) is None
    assert mobile_phone(written) is None


def test_masking_shows_the_last_three_digits_in_views_and_logs():
    assert mask_phone("0912345678") == "***678"
    assert mask_text("gọi 0912345678 hoặc +84 912 345 679") == "gọi ***678 hoặc ***679"


def libphonenumber_reading(written, kinds):
    """What libphonenumber's parse and number_type make of a number, as the kernel's answer."""
    number = phonenumbers.parse(written, "VN")
    valid = number.country_code == 84 and phonenumbers.number_type(number) in kinds
    return "0" + str(number.national_number) if valid else None


def test_a_number_typed_as_national_digits_reads_as_libphonenumber_parses_it():
    rng = random.Random(20261207)
    typed = [f"0{rng.randint(1, 9)}{rng.randrange(10 ** length):0{length}d}"
             for length in range(5, 10) for _ in range(6000)]
    for number in typed:
        assert normalise_phone(number) == libphonenumber_reading(
            number, (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)), number
        assert mobile_phone(number) == libphonenumber_reading(
            number, (PhoneNumberType.MOBILE,)), number
    assert sum(normalise_phone(number) is not None for number in typed) > 1000
