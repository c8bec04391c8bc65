"""notify's templates and SMS arithmetic, without broker or database."""
import io
import logging
from datetime import datetime
from pathlib import Path

import pytest
from marshmallow import ValidationError

from services.common.events import TIMEZONE
from services.common.logs import ContextFilter, JsonFormatter
from services.common.settings import read_settings
from services.notify import messages
from services.notify.contacts import ADDRESS_PROBLEMS, mask_recipient
from services.notify.gateways import LogMail, LogSms, mail_gateway, sms_gateway
from services.notify.quiet import earliest_send, parse_quiet_hours
from services.notify.reports import report_status
from services.notify.schemas import DlrQuerySchema, OptOutSchema
from services.notify.settings import GatewaySettings
from services.notify.sms import RenderError, SmsPolicy, encode, fit, strip_diacritics
from services.notify.templates import TemplateError, load_templates

POLICY = SmsPolicy(unaccented=False, max_segments=3)
GOOD = """urgent: false
sms: "{center}: Hồ sơ {code} đã có kết quả."
email:
  subject: "Hồ sơ {code}"
  text: "Kính gửi {full_name}"
  html: "<p>Kính gửi {full_name}</p>"
"""


def write(directory, name, text):
    (Path(directory) / f"{name}.yml").write_text(text, encoding="utf-8")


def load_one(directory, fields=("center", "code", "full_name")):
    sample = {f: "x" for f in fields}
    return load_templates({"news": fields}, {"news": sample}, POLICY, directory)["news"]


def test_shipped_templates_load_and_every_sms_fits_three_segments():
    templates = load_templates(messages.FIELDS, messages.SAMPLES, POLICY)
    assert templates and set(templates) == set(messages.FIELDS)
    for name, template in templates.items():
        sms = template.render_sms(messages.SAMPLES[name], POLICY)
        assert sms["coding"] == "ucs2" and sms["segments"] <= 3, name


def test_template_naming_an_unknown_field_fails_at_load(tmp_path):
    write(tmp_path, "news", GOOD.replace("{code} đã", "{dossier_number} đã"))
    with pytest.raises(TemplateError, match="unknown field.*dossier_number"):
        load_one(tmp_path)


def test_missing_or_malformed_template_fails_at_load(tmp_path):
    with pytest.raises(TemplateError, match="missing"):
        load_one(tmp_path)
    write(tmp_path, "news", GOOD.replace("email:", "mail:"))
    with pytest.raises(TemplateError, match="malformed"):
        load_one(tmp_path)
    write(tmp_path, "news", GOOD.replace("{code}", "{code.upper}"))
    with pytest.raises(TemplateError, match="plain"):
        load_one(tmp_path)


def test_template_whose_sms_cannot_fit_fails_at_load(tmp_path):
    write(tmp_path, "news", GOOD.replace("đã có kết quả.", "đã có kết quả. " + "Xin cảm ơn. " * 40))
    with pytest.raises(TemplateError, match="segments"):
        load_one(tmp_path)


def test_email_html_escapes_values_and_plain_text_does_not(tmp_path):
    write(tmp_path, "news", GOOD)
    email = load_one(tmp_path).render_email({"center": "TT", "code": "A<1>", "full_name": "Lê & Lý"})
    assert email["html"] == "<p>Kính gửi Lê &amp; Lý</p>"
    assert email["text"] == "Kính gửi Lê & Lý" and email["subject"] == "Hồ sơ A<1>"


def test_vietnamese_diacritics_are_stripped_including_d_bar():
    assert strip_diacritics("Đã tiếp nhận hồ sơ, hẹn trả ngày") == "Da tiep nhan ho so, hen tra ngay"
    assert strip_diacritics("Phường Bến Nghé, Quận 1") == "Phuong Ben Nghe, Quan 1"


@pytest.mark.parametrize("length, coding, count", [
    (70, "ucs2", 1), (71, "ucs2", 2), (134, "ucs2", 2), (135, "ucs2", 3),
    (160, "gsm", 1), (161, "gsm", 2), (306, "gsm", 2), (307, "gsm", 3),
])
def test_segment_limits(length, coding, count):
    text = ("ơ" if coding == "ucs2" else "o") * length
    assert encode(text) == (coding, count)


def test_gsm_extension_characters_count_twice():
    assert encode("€" * 80) == ("gsm", 1)
    assert encode("€" * 81) == ("gsm", 2)


def test_unaccented_setting_sends_gsm_text():
    sms = fit("Hồ sơ đã được tiếp nhận", SmsPolicy(unaccented=True, max_segments=1))
    assert sms == {"text": "Ho so da duoc tiep nhan", "coding": "gsm", "segments": 1}


def test_too_long_with_diacritics_falls_back_to_unaccented_then_fails():
    text = "Hồ sơ đã được tiếp nhận. " * 4  # 100 characters: 2 UCS-2 segments, 1 GSM
    assert fit(text, SmsPolicy(max_segments=2))["coding"] == "ucs2"
    assert fit(text, SmsPolicy(max_segments=1))["coding"] == "gsm"
    with pytest.raises(RenderError, match="SMS_MAX_SEGMENTS=1"):
        fit(text * 2, SmsPolicy(max_segments=1))


def local(hour, minute=0):
    return datetime(2026, 11, 23, hour, minute, tzinfo=TIMEZONE)


def test_quiet_hours_hold_non_urgent_messages_until_morning():
    quiet = parse_quiet_hours("21:00-07:00")
    assert earliest_send(local(22), quiet, urgent=False) == datetime(2026, 11, 24, 7, tzinfo=TIMEZONE)
    assert earliest_send(local(6, 30), quiet, urgent=False) == local(7)
    assert earliest_send(local(22), quiet, urgent=True) == local(22)
    assert earliest_send(local(12), quiet, urgent=False) == local(12)
    assert earliest_send(local(22), parse_quiet_hours(""), urgent=False) == local(22)
    with pytest.raises(ValueError, match="QUIET_HOURS"):
        parse_quiet_hours("9pm-7am")


def test_kannel_report_types():
    assert report_status({"type": 1, "status": None}) == "delivered"
    assert report_status({"type": 2, "status": None}) == "failed"
    assert report_status({"type": 16, "status": None}) == "failed"
    assert report_status({"type": 8, "status": None}) == "accepted"  # by the SMSC: not final
    assert report_status({"type": 4, "status": None}) is None  # buffered: nothing to record
    assert report_status({"type": None, "status": "delivered"}) == "delivered"


def test_recipients_are_masked():
    assert mask_recipient("0912345678") == "*******678"
    assert mask_recipient("ngoc.tran@example.vn") == "n***@example.vn"


def test_a_report_says_its_type_or_status():
    report = DlrQuerySchema().load({"id": "7f1e4f8c-7b7e-4d8e-9a43-1f0c0c0c0c0c", "type": "8"})
    assert report_status(report) == "accepted"
    with pytest.raises(ValidationError) as refused:
        DlrQuerySchema().load({"id": "7f1e4f8c-7b7e-4d8e-9a43-1f0c0c0c0c0c"})
    assert refused.value.messages == {"type": ["Cần có type hoặc status."]}


def test_an_opt_out_address_is_stored_in_its_normal_form():
    assert OptOutSchema().load({"channel": "sms", "address": "+84 912 345 678"}) == {
        "channel": "sms", "address": "0912345678"}
    assert OptOutSchema().load({"channel": "email", "address": " Ngoc@Example.VN"}) == {
        "channel": "email", "address": "ngoc@example.vn"}
    with pytest.raises(ValidationError) as refused:
        OptOutSchema().load({"channel": "sms", "address": "12345"})
    assert refused.value.messages == {"address": [ADDRESS_PROBLEMS["sms"]]}


def test_the_gateways_are_the_log_unless_one_is_configured():
    def gateways(**config):
        settings = read_settings(GatewaySettings, config)
        return sms_gateway(settings).name, mail_gateway(settings).name

    assert gateways() == ("log", "log")
    assert gateways(KANNEL_SENDSMS_URL="http://127.0.0.1:13013/cgi-bin/sendsms",
                    DLR_SECRET="s" * 24, SMTP_HOST="mail") == ("kannel", "smtp")
    assert gateways(SMS_PROVIDER="http", SMS_HTTP_URL="http://aggregator/sms",
                    DLR_SECRET="s" * 24) == ("http", "log")


def test_log_provider_never_writes_the_phone_in_clear():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("motcua.notify.gateways")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        LogSms().send("n-1", "0912345678", {"text": "Hồ sơ X", "coding": "ucs2", "segments": 1})
        LogMail().send("n-2", "ngoc.tran@example.vn", {"subject": "Hồ sơ X"})
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Hồ sơ X" in written or "H\\u1ed3 s\\u01a1 X" in written
    assert "0912345678" not in written and "912345678" not in written
    assert "ngoc.tran" not in written
