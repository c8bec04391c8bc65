"""SMS text: encoding, segments, the no-diacritics variant, and the gateways that send it.

Vietnamese with diacritics needs UCS-2: 70 characters in one SMS, 67 per part when
concatenated. GSM 7-bit carries 160 / 153 (an extension character such as `€` or `[` counts
twice). Many brandname gateways in Vietnam accept only unaccented text, hence SMS_UNACCENTED.
"""
import math
import unicodedata
from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
LIMITS = {"gsm": (160, 153), "ucs2": (70, 67)}


class RenderError(Exception):
    """A message cannot be produced (e.g. an SMS over the segment limit): dead-letter it."""


@dataclass(frozen=True)
class SmsPolicy:
    unaccented: bool = False
    max_segments: int = 3


def strip_diacritics(text):
    """'Hồ sơ đã được tiếp nhận' -> 'Ho so da duoc tiep nhan' (đ/Đ have no decomposition)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    )


def gsm_length(text):
    """Septets the text takes in GSM 7-bit, or None when it has a character GSM lacks."""
    length = 0
    for ch in text:
        if ch in GSM_BASIC:
            length += 1
        elif ch in GSM_EXTENDED:
            length += 2
        else:
            return None
    return length


def ucs2_length(text):
    return len(text.encode("utf-16-be")) // 2


def segments(length, coding):
    single, part = LIMITS[coding]
    return 1 if length <= single else math.ceil(length / part)


def encode(text):
    """(coding, segments) of a text as it stands."""
    septets = gsm_length(text)
    if septets is not None:
        return "gsm", segments(septets, "gsm")
    return "ucs2", segments(ucs2_length(text), "ucs2")


def fit(text, policy):
    """The SMS to send: {text, coding, segments}, within policy.max_segments.

    With diacritics first (unless the policy forbids them); when that is too long, the
    unaccented text; when even that is too long, RenderError.
    """
    candidates = [strip_diacritics(text)] if policy.unaccented else [text, strip_diacritics(text)]
    for candidate in candidates:
        coding, count = encode(candidate)
        if coding == "ucs2" and policy.unaccented:
            continue  # a character outside GSM even without marks; the gateway would refuse it
        if count <= policy.max_segments:
            return {"text": candidate, "coding": coding, "segments": count}
    coding, count = encode(candidates[-1])
    raise RenderError(
        f"SMS needs {count} {coding} segments, more than SMS_MAX_SEGMENTS={policy.max_segments}"
    )
