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
from services.common.identifiers import AgencyIdentifier
from services.common.messages import ItemCount

DEFAULT_FILE = Path(__file__).resolve().parent / "catalogue" / "procedures.yml"
MAX_DAYS = {"working": 120, "calendar": 365}
# A same-day procedure is declared as 0 working days (due the day of reception, or the next
# working day when received after the same-day cut-off).
MIN_DAYS = {"working": 0, "calendar": 1}
DOCUMENT_FORMS = ("original", "certified_copy", "copy")


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
    # what the applicant hands in: the original, a certified copy or a copy (the receipt
    # prints it; the officer may record another form at reception)
    form = fields.String(load_default="original",
                         validate=validate.OneOf(DOCUMENT_FORMS))


CODE = r"^[a-z][a-z0-9_]{1,39}$"


class SectorSchema(_Strict):
    """A lĩnh vực: the statutory reports (Biểu 06) are grouped by it."""
    code = fields.String(required=True, validate=validate.Regexp(CODE))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))


# provincial departments (sở, ban, ngành), commune people's committees, and the local
# branches of central agencies (the province's police, tax, social insurance)
AGENCY_KINDS = ("provincial_department", "commune_committee", "central_branch")


class DepartmentSchema(_Strict):
    """An agency competent to decide procedures (it has its own queue): `code` names it in
    tokens, queues and events, `identifier` is its electronic identifier, which starts the
    codes of the dossiers it decides."""
    # at most 20 characters: the APIs' department filters and postal's delegations take that
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,19}$"))
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(AGENCY_KINDS))
    identifier = fields.String(required=True, validate=AgencyIdentifier())


class CounterSchema(_Strict):
    """A receiving counter (quầy) of a center and the agencies whose officers sit at it."""
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    agencies = fields.List(fields.String(), load_default=list)


class CenterSchema(_Strict):
    """A one-stop unit (Decree 118/2025 art. 7): the provincial center or a commune one."""
    code = fields.String(required=True, validate=validate.Regexp(CODE))
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    level = fields.String(required=True, validate=validate.OneOf(("province", "commune")))
    identifier = fields.String(required=True, validate=AgencyIdentifier())
    counters = fields.List(fields.Nested(CounterSchema), load_default=list)


class ProcedureSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d\.\d{6}$"))
    name = fields.String(required=True, validate=validate.Length(min=5, max=500))
    # the agency that decides it; a commune-level procedure has none but its
    # competent_agencies instead (every commune's committee, or police): each dossier names
    # the one that decides it
    department = fields.String(load_default=None, allow_none=True)
    competent_agencies = fields.List(fields.String(), load_default=list)
    sector_code = fields.String(required=True, metadata={
        "description": "the procedure's lĩnh vực, one of the catalogue's sectors"})
    # from the sector's row at load: never in the catalogue file
    sector_name = fields.String(dump_only=True)
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
    # a group of procedures handled together by several agencies (liên thông): its dossiers
    # are numbered with the receiving one-stop unit's identifier at the counter and with
    # DVCQG's online (Decree 118/2025 art. 28(2))
    inter_agency = fields.Boolean(load_default=False)
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
        if bool(data.get("department")) == bool(data.get("competent_agencies")):
            raise ValidationError("give either the department that decides the procedure or "
                                  "its competent_agencies, one of which each dossier names",
                                  "department")


def _row_problems(kind, index, row, messages):
    label = row.get("code") if isinstance(row, dict) else None
    where = f"{kind}[{index}]" + (f" ({label})" if label else "")
    return [f"{where}: {field}: {'; '.join(map(str, msgs))}"
            for field, msgs in flatten_messages(messages).items()]


def _sectors(rows, problems):
    """{code: name} of the valid sector rows; each bad or repeated one added to `problems`."""
    sectors = {}
    for index, row in enumerate(rows or []):
        try:
            sector = SectorSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("sectors", index, row, exc.messages)
            continue
        if sector["code"] in sectors:
            problems.append(f"sectors[{index}] ({sector['code']}): code: duplicate code")
        sectors[sector["code"]] = sector["name"]
    if not rows:
        problems.append("sectors: the catalogue has no sector")
    return sectors


def _centers(rows, problems):
    """{code: center} of the valid center rows; exactly one is the provincial center."""
    centers = {}
    for index, row in enumerate(rows or []):
        try:
            center = CenterSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("centers", index, row, exc.messages)
            continue
        if center["code"] in centers:
            problems.append(f"centers[{index}] ({center['code']}): code: duplicate code")
        centers[center["code"]] = center
    provincial = [c for c in centers.values() if c["level"] == "province"]
    if len(provincial) != 1:
        problems.append(f"centers: exactly one center must be of level province "
                        f"(found {len(provincial)})")
    return centers


def _check_counters(centers, departments, problems):
    for center in centers.values():
        for counter in center["counters"]:
            for agency in counter["agencies"]:
                if agency not in departments:
                    problems.append(f"centers ({center['code']}): counters[{counter['number']}]"
                                    f": unknown agency {agency!r}")


def validate_catalogue(document):
    """The catalogue as {"centers", "departments", "procedures"}, or CatalogueError."""
    if not isinstance(document, dict):
        raise CatalogueError(["the file must be a mapping with centers, sectors, departments, "
                              "procedures"])
    problems = []
    centers = _centers(document.get("centers"), problems)
    sectors = _sectors(document.get("sectors"), problems)
    departments, procedures = {}, {}
    # who numbers with each identifier: two with one would share a dossier sequence
    owners = {c["identifier"]: f"center {code}" for code, c in centers.items()}
    for index, row in enumerate(document.get("departments") or []):
        try:
            dept = DepartmentSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("departments", index, row, exc.messages)
            continue
        where = f"departments[{index}] ({dept['code']})"
        if dept["code"] in departments:
            problems.append(f"{where}: code: duplicate code")
        owner = owners.setdefault(dept["identifier"], dept["code"])
        if owner != dept["code"]:
            problems.append(f"{where}: identifier: {dept['identifier']} is already the "
                            f"identifier of {owner}")
        departments[dept["code"]] = dept
    _check_counters(centers, departments, problems)
    for index, row in enumerate(document.get("procedures") or []):
        try:
            proc = ProcedureSchema().load(row)
        except ValidationError as exc:
            problems += _row_problems("procedures", index, row, exc.messages)
            continue
        where = f"procedures[{index}] ({proc['code']})"
        if proc["code"] in procedures:
            problems.append(f"{where}: code: duplicate code")
        field = "competent_agencies" if proc["competent_agencies"] else "department"
        for lead in proc["competent_agencies"] or [proc["department"]]:
            if lead not in departments:
                problems.append(f"{where}: {field}: unknown department {lead!r}")
        if proc["sector_code"] in sectors:
            proc["sector_name"] = sectors[proc["sector_code"]]
        else:
            problems.append(f"{where}: sector_code: unknown sector {proc['sector_code']!r}")
        for other in proc["cooperating"]:
            if other not in departments or other in (proc["department"],
                                                     *proc["competent_agencies"]):
                problems.append(f"{where}: cooperating: {other!r} is not another known department")
        procedures[proc["code"]] = proc
    if not departments:
        problems.append("departments: the catalogue has no department")
    if not procedures:
        problems.append("procedures: the catalogue has no procedure")
    if problems:
        raise CatalogueError(problems)
    return {"centers": centers, "departments": departments, "procedures": procedures}


def read_catalogue(path=DEFAULT_FILE):
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError([f"{path}: cannot be read: {exc}"]) from exc
    return validate_catalogue(document)
