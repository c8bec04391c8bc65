"""postal's settings, read and checked once at start (README.md, "Settings")."""
from marshmallow import fields, validate

from services.common.settings import SettingsSchema


class PostalSettings(SettingsSchema):
    # the tariff of the public postal service, VND
    result_fee = fields.Integer(data_key="POSTAL_RESULT_FEE", load_default=30000,
                                validate=validate.Range(min=0))
    pickup_fee = fields.Integer(data_key="POSTAL_PICKUP_FEE", load_default=30000,
                                validate=validate.Range(min=0))
    # delivers the results of dossiers no post office received (None: the first by code)
    delivery_post_office = fields.String(data_key="DELIVERY_POST_OFFICE", load_default=None)
    # the two letters that start a UPU S10 tracking number
    tracking_prefix = fields.String(data_key="TRACKING_PREFIX", load_default="RM",
                                    validate=validate.Regexp(r"^[A-Z]{2}$"))
