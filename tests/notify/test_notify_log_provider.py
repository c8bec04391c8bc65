import logging

from services.notify.gateways import LogSms


def test_the_log_provider_writes_the_sms_without_its_lookup_secret_or_phone(caplog):
    text = ("TTPVHCC: Hồ sơ 000.00.31.H33-261123-0001 đã được tiếp nhận. Hẹn trả kết quả ngày "
            "25/11/2026. Mã tra cứu: HMKHUXYM")
    with caplog.at_level(logging.INFO, logger="motcua.notify"):
        outcome = LogSms().send("n-1", "+84912345678", {"text": text, "coding": "ucs2",
                                                        "segments": 2})
    [record] = [r for r in caplog.records if r.getMessage() == "SMS (log provider)"]
    assert outcome.status == "delivered"
    assert "HMKHUXYM" not in record.text and "000.00.31.H33-261123-0001" in record.text
    assert "912345678" not in record.to
