"""The procedure catalogue: loading and validating the data file, row by row.

Every problem is reported with the row and the field, all at once, and nothing is stored
unless the whole file is valid: a wrongly declared processing time would make on-time
dossiers count as late (seed documents), so absurd values are refused.
"""
from pathlib import Path

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.contracts import CHANNELS
from services.common.http import flatten_messages
from services.common.messages import ItemCount

DEFAULT_FILE = Path(__file__).resolve().parent / "catalogue" / "procedures.yml"
AGENCY_CODE = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
MAX_DAYS = {"working": 120, "calendar": 365}
# A same-day procedure is declared as 0 working days (due the day of reception, or the next
# working day when received after the same-day cut-off).
MIN_DAYS = {"working": 0, "calendar": 1}


class CatalogueError(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class DocumentSchema(_Strict):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name = fields.String(required=True, validate=validate.Length(min=3, max=300))
    mandatory = fields.Boolean(required=True)
    copies = fields.Integer(required=True, validate=validate.Range(min=1, max=20))


class DepartmentSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,19}$"))
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    receiving_unit = fields.String(required=True, validate=validate.Regexp(AGENCY_CODE))


class CenterSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    receiving_unit = fields.String(required=True, validate=validate.Regexp(AGENCY_CODE))


class ProcedureSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d\.\d{6}$"))
    name = fields.String(required=True, validate=validate.Length(min=5, max=500))
    department = fields.String(required=True)
    cooperating = fields.List(fields.String(), load_default=list)
    processing_days = fields.Integer(required=True, strict=True)
    day_kind = fields.String(required=True, validate=validate.OneOf(tuple(MAX_DAYS)))
    fee = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    charge = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)), required=True,
        validate=ItemCount(min=1),
    )
    postal_return = fields.Boolean(required=True)
    online_level = fields.String(required=True, validate=validate.OneOf(("full", "partial", "none")))
    refund_on_refusal = fields.Boolean(required=True)
    hold_result_until_paid = fields.Boolean(required=True)
    documents = fields.List(
        fields.Nested(DocumentSchema), required=True, validate=ItemCount(min=1)
    )

    @validates_schema
    def check_consistency(self, data, **kwargs):
        days, kind = data.get("processing_days"), data.get("day_kind")
        if days is not None and kind in MAX_DAYS and not MIN_DAYS[kind] <= days <= MAX_DAYS[kind]:
            raise ValidationError(
                f"must be between {MIN_DAYS[kind]} and {MAX_DAYS[kind]} {kind} days (got {days})",
                "processing_days",
            )
        channels, level = data.get("channels", []), data.get("online_level")
        if level is not None and (("online" in channels) != (level != "none")):
            raise ValidationError(
                "must be 'none' exactly when the procedure is not offered online", "online_level"
            )
        keys = [d["key"] for d in data.get("documents", [])]
        if len(keys) != len(set(keys)):
            raise ValidationError("document keys must be unique", "documents")


def _row_problems(kind, index, row, messages):
    label = row.get("code") if isinstance(row, dict) else None
    where = f"{kind}[{index}]" + (f" ({label})" if label else "")
    return [f"{where}: {field}: {'; '.join(map(str, msgs))}"
            for field, msgs in flatten_messages(messages).items()]


def validate_catalogue(document):
    """The catalogue as {"center", "departments", "procedures"}, or CatalogueError."""
    if not isinstance(document, dict):
        raise CatalogueError(["the file must be a mapping with center, departments, procedures"])
    problems = []
    try:
        center = CenterSchema().load(document.get("center") or {})
    except ValidationError as exc:
        center = None
        problems += _row_problems("center", 0, {}, exc.messages)
    departments, procedures = {}, {}
    # who numbers with each receiving unit: two with one unit would share a dossier sequence
    unit_owners = {center["receiving_unit"]: "the center"} if center else {}
    for index, row in enumerate(document.get("departments") or []):
        try:
            dept = DepartmentSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("departments", index, row, exc.messages)
            continue
        where = f"departments[{index}] ({dept['code']})"
        if dept["code"] in departments:
            problems.append(f"{where}: code: duplicate code")
        owner = unit_owners.setdefault(dept["receiving_unit"], dept["code"])
        if owner != dept["code"]:
            problems.append(f"{where}: receiving_unit: {dept['receiving_unit']} is already the "
                            f"receiving unit of {owner}")
        departments[dept["code"]] = dept
    for index, row in enumerate(document.get("procedures") or []):
        try:
            proc = ProcedureSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("procedures", index, row, exc.messages)
            continue
        where = f"procedures[{index}] ({proc['code']})"
        if proc["code"] in procedures:
            problems.append(f"{where}: code: duplicate code")
        if proc["department"] not in departments:
            problems.append(f"{where}: department: unknown department {proc['department']!r}")
        for other in proc["cooperating"]:
            if other not in departments or other == proc["department"]:
                problems.append(f"{where}: cooperating: {other!r} is not another known department")
        procedures[proc["code"]] = proc
    if not departments:
        problems.append("departments: the catalogue has no department")
    if not procedures:
        problems.append("procedures: the catalogue has no procedure")
    if problems:
        raise CatalogueError(problems)
    return {"center": center, "departments": departments, "procedures": procedures}


def read_catalogue(path=DEFAULT_FILE):
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError([f"{path}: cannot be read: {exc}"]) from exc
    return validate_catalogue(document)
