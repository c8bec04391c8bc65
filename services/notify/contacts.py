"""Whom notify writes to: each dossier's contact (from dossier.received), who may read what
was sent about a dossier, and the addresses that asked for nothing more."""
import logging

from services.common.phones import mobile_phone, normalise_phone

from . import store
from .errors import NoNotifications, OtherDepartment

log = logging.getLogger("motcua.notify")

# What an address must be on each channel.
ADDRESS_PROBLEMS = {"sms": "Không phải số điện thoại Việt Nam.",
                    "email": "Không phải địa chỉ email hợp lệ."}


def contact_of(data):
    """The dossier's contact from its dossier.received data: the phone in normal form (None,
    so no SMS, when it is not a Vietnamese mobile number: a landline receives none), the email
    in lower case."""
    applicant = data["applicant"]
    phone = mobile_phone(applicant["phone"])
    if phone is None:
        log.warning("applicant's phone is not a Vietnamese mobile number: no SMS",
                    extra={"dossier_code": data["code"]})
    email = (applicant["email"] or "").strip().lower()
    return {"code": data["code"], "full_name": applicant["full_name"], "phone": phone,
            "email": email if "@" in email else None,
            "department": data["procedure"]["department"]}


def address_of(channel, address):
    """The address as notify stores it on the channel (a phone in normal form, an email in
    lower case), or None when it is not one."""
    if channel == "sms":
        return normalise_phone(address)
    address = address.strip().lower()
    return address if "@" in address else None


def dossier_notifications(cur, caller, code):
    """The notifications of a dossier, oldest first, recipients masked: for managers, the
    center's own counter staff (they receive and return for every agency), and the officers
    and leaders of the dossier's department."""
    contact = store.get_contact(cur, code)
    if contact is None:
        raise NoNotifications("Hồ sơ này chưa có thông báo nào.")
    every_agency = caller.role == "manager" or (caller.role == "counter_officer"
                                                and caller.department is None)
    if not every_agency and caller.department != contact["department"]:
        raise OtherDepartment("Hồ sơ này thuộc sở, ngành khác.")
    return {"code": code, "notifications": [
        {**row, "id": str(row["id"]), "recipient": mask_recipient(row["recipient"])}
        for row in store.of_dossier(cur, code)
    ]}


def opt_out(cur, channel, address):
    """The address (as `address_of` gives it) gets nothing more on the channel, not even the
    notifications already waiting (the sender checks opt-outs when it claims them)."""
    store.opt_out(cur, channel, address)
    log.info("opt-out recorded", extra={"channel": channel})
    return {"channel": channel, "address": mask_recipient(address), "opted_out": True}


def mask_recipient(recipient):
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return "*" * (len(recipient) - 3) + recipient[-3:]
