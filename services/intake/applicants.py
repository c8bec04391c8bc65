"""What the printed forms show of an applicant (Circular 03/2025/TT-VPCP): a citizen by name,
an organisation by its name and enterprise code with the representative who acts for it, and
the authorised person with the authorisation they hand in. Citizen IDs are never printed."""


def printed_applicant(applicant):
    printed = {"full_name": applicant["full_name"], "phone": applicant.get("phone"),
               "email": applicant.get("email"), "address": applicant.get("address")}
    organisation = applicant.get("organisation")
    if organisation:
        printed["organisation"] = {key: organisation[key]
                                   for key in ("name", "tax_code", "address")}
    person = applicant.get("authorised_person")
    if person:
        printed["authorised_person"] = {
            "full_name": person["full_name"],
            "authorisation": {"reference": person["authorisation"]["reference"],
                              "signed_on": person["authorisation"]["signed_on"]}}
    return printed


def applicant_name(applicant):
    """Tên cá nhân, tổ chức: the organisation's name for an organisation."""
    organisation = applicant.get("organisation")
    return organisation["name"] if organisation else applicant["full_name"]


def applicant_address(applicant):
    organisation = applicant.get("organisation")
    return organisation["address"] if organisation else applicant.get("address")
