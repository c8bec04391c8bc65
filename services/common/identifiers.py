"""Electronic identifiers of agencies, and the dossier codes made from them (Decree 118/2025
art. 28: `<identifier>-YYMMDD-XXXX`).

Two shapes are in use, and a dossier keeps its code for life, so every check accepts both:
- Decision 20/2020/QĐ-TTg (amended by 09/2025/QĐ-TTg): dot-separated groups read from the
  level-1 code on the left, a letter and two digits (`H15`), then one group per level
  (`H15.50.05.13`); at most 35 characters (QCVN 102:2016/BTTTT amendment 1:2022). The
  lower levels' groups are taken as 2 or 3 letters or digits: the national list is not at
  hand, so the check stays that wide;
- Circular 10/2016/TT-BTTTT, level 1 on the right: `000.00.31.H33`.
"""
import re

from marshmallow import validate

MAX_LENGTH = 35
DECISION_20_2020 = r"[A-Z]\d{2}(?:\.[0-9A-Z]{2,3})*"
CIRCULAR_10_2016 = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
AGENCY_IDENTIFIER = rf"(?:{DECISION_20_2020}|{CIRCULAR_10_2016})"
# a code inside a text (an SMS, a log line): the identifier, the reception day, the number
DOSSIER_CODE = re.compile(rf"{AGENCY_IDENTIFIER}-\d{{6}}-\d{{4}}")
IDENTIFIER_PROBLEM = (f"Mã định danh điện tử không đúng: dạng H15.50.05.13 (Quyết định "
                      f"20/2020/QĐ-TTg, tối đa {MAX_LENGTH} ký tự) hoặc 000.00.31.H33 (Thông tư "
                      f"10/2016/TT-BTTTT).")


def is_agency_identifier(value):
    return (isinstance(value, str) and len(value) <= MAX_LENGTH
            and re.fullmatch(AGENCY_IDENTIFIER, value) is not None)


def is_dossier_code(value):
    return isinstance(value, str) and DOSSIER_CODE.fullmatch(value) is not None and \
        is_agency_identifier(value.rsplit("-", 2)[0])


class AgencyIdentifier(validate.Validator):
    """marshmallow's check of an agency identifier, in either shape."""

    def __call__(self, value):
        if not is_agency_identifier(value):
            raise validate.ValidationError(IDENTIFIER_PROBLEM)
        return value
