"""desk's forms as schemas: the staff account (the desk's manager page and `motcua users`)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.auth import ROLE_NAMES

ROLES = ("counter_officer", "department_officer", "leader", "postal_clerk", "manager")
USERNAME = r"^[a-z0-9][a-z0-9._-]{2,39}$"


class AccountSchema(Schema):
    """A staff account. A counter officer belongs to a one-stop center, to an agency that
    stationed it there, or both; a department officer and a leader to their agency; a clerk to
    its post office; a manager to none."""
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME, error="3-40 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch nối."))
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    role = fields.String(required=True, validate=validate.OneOf(
        ROLES, error="Vai trò là một trong: " + ", ".join(ROLES) + "."))
    department = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=20))
    post_office = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=40))
    center = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=40))

    @validates_schema(skip_on_field_errors=True)
    def check_scope(self, data, **kwargs):
        role = data["role"]
        name = ROLE_NAMES[role]
        if role == "counter_officer" and not (data["department"] or data["center"]):
            raise ValidationError(f"{name}: cần trung tâm (center), cơ quan (department) hoặc "
                                  "cả hai.", "center")
        if role in ("department_officer", "leader") and not data["department"]:
            raise ValidationError(f"{name}: cần cơ quan (department).", "department")
        if role == "postal_clerk" and not data["post_office"]:
            raise ValidationError(f"{name}: cần bưu điện (post_office).", "post_office")
        if role == "manager" and (data["department"] or data["post_office"]):
            raise ValidationError("Lãnh đạo trung tâm không thuộc cơ quan hay bưu điện nào.",
                                  "department")


def loaded_account(values):
    """The account of `values` (empty strings as not given); ValidationError naming fields."""
    return AccountSchema().load({k: (v or None) for k, v in values.items()})
