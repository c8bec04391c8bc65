"""payment's pure parts: receipt amounts in words, the gateway's signatures, statement parsing
and matching, the ledger's canonical hash."""
import uuid
from datetime import date, datetime

import pytest

from scripts.payment_gateway import ipn_params, redirect_params
from services.common.errors import http_status
from services.common.events import TIMEZONE
from services.common.settings import read_settings
from services.payment import ledger, reconciliation
from services.payment.errors import InvalidStatement
from services.payment.gateway import Vnpay, canonical_query, sign, signature_valid
from services.payment.receipts import amount_in_words
from services.payment.settings import PaymentSettings

SECRET = "S" * 32
CONFIG = {"VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": SECRET,
          "VNPAY_PAY_URL": "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
          "VNPAY_API_URL": "http://127.0.0.1:1/", "VNPAY_RETURN_URL": "https://motcua/return"}


def gateway(**overrides):
    return Vnpay(read_settings(PaymentSettings, {**CONFIG, **overrides}))


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (105_000, "Một trăm lẻ năm nghìn đồng"),
    (200_000, "Hai trăm nghìn đồng"),
    (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
    (1_000_005, "Một triệu không trăm lẻ năm đồng"),
    (2_500_000_000, "Hai tỷ năm trăm triệu đồng"),
])
def test_amount_in_words_reads_as_on_a_receipt(amount, words):
    assert amount_in_words(amount) == words


def pay_url():
    url, _ = gateway().payment_url("261123ABCDEF1234", 250_000, "Thanh toán phí hồ sơ Đất",
                                       "113.161.0.10", datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE))
    return url


def test_payment_url_is_signed_over_sorted_encoded_parameters():
    params = redirect_params(pay_url())
    assert params["vnp_Amount"] == "25000000"  # 1/100 VND
    assert params["vnp_CreateDate"] == "20261123100000"
    assert params["vnp_ExpireDate"] == "20261123101500"
    assert params["vnp_OrderInfo"] == "Thanh toan phi ho so Dat"  # no diacritics
    assert canonical_query(params).startswith("vnp_Amount=25000000&vnp_Command=pay&")
    assert "vnp_ReturnUrl=https%3A%2F%2Fmotcua%2Freturn" in canonical_query(params)
    assert signature_valid(SECRET, params)


def test_ipn_signature_valid_tampered_and_wrong_secret():
    params = ipn_params(SECRET, pay_url())
    vnpay = gateway()
    assert vnpay.verify(params)
    assert not vnpay.verify({**params, "vnp_Amount": "1000"})
    forged = ipn_params("W" * 32, pay_url())
    assert not vnpay.verify(forged)
    assert not vnpay.verify({k: v for k, v in params.items() if k != "vnp_SecureHash"})
    assert not gateway(VNPAY_HASH_SECRET="").verify(params)  # off: nothing trusted


@pytest.mark.parametrize("field, value", [
    ("vnp_SecureHash", "chữ ký"), ("vnp_SecureHash", "\ud800"), ("vnp_OrderInfo", "\udfff"),
])
def test_a_signature_or_parameter_no_gateway_sends_is_invalid_not_an_error(field, value):
    params = ipn_params(SECRET, pay_url())
    assert not gateway().verify({**params, field: value})


def test_signature_ignores_its_own_fields_and_empty_values():
    params = {"vnp_B": "2", "vnp_A": "1 2", "vnp_C": "", "other": "x"}
    assert canonical_query(params) == "vnp_A=1+2&vnp_B=2"
    assert sign(SECRET, params) == sign(SECRET, {**params, "vnp_SecureHashType": "HmacSHA512"})


DAY = date(2026, 11, 23)


def test_statement_lines_are_validated_all_at_once():
    raw = (b"reference,amount,value_date\nPL-2026-0000001,200000,2026-11-23\n"
           b"bad ref,2.000,2026-11-22\n")
    with pytest.raises(InvalidStatement) as caught:
        reconciliation.parse_statement(raw, DAY)
    assert http_status(caught.value) == 422
    [problems] = caught.value.fields.values()
    assert len(problems) == 3 and "line 3" in caught.value.fields
    with pytest.raises(InvalidStatement) as caught:
        reconciliation.parse_statement(b"ref,amount\n", DAY)
    assert "header" in caught.value.fields


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_statement_is_read_whatever_its_line_ends_and_bom(line_end, bom):
    lines = [b"reference,amount,value_date,description", b"PL-2026-0000001,1000,2026-11-23,Nop",
             b"PL-2026-0000002,-500,2026-11-23,Hoan"]
    raw = bom + line_end.join(lines) + line_end
    assert reconciliation.parse_statement(raw, DAY) == [
        (2, "PL-2026-0000001", 1000), (3, "PL-2026-0000002", -500)]


def test_a_statement_that_is_not_utf8_is_refused_naming_the_line():
    raw = b"reference,amount,value_date\rPL-1,1000,2026-11-23\rPL-2,1,Ti\xean\r"  # cp1258 ê
    with pytest.raises(InvalidStatement) as caught:
        reconciliation.parse_statement(raw, DAY)
    assert http_status(caught.value) == 422 and list(caught.value.fields) == ["line 3"]


def movement(reference, amount, alias=None, kind="payment"):
    return {"movement": kind, "id": uuid.uuid4(), "reference": reference, "alias": alias,
            "amount": amount}


def test_matching_finds_every_kind_of_mismatch():
    movements = [movement("A1", 100), movement("A2", 200), movement("A3", 300),
                 movement("TX9", 400, alias="14000001"), movement("RF1", -100, kind="refund")]
    lines = [(2, "A1", 100), (3, "A2", 250), (4, "A1", 100), (5, "ZZ", 50),
             (6, "14000001", 400), (7, "RF1", -100)]
    items = reconciliation.match(lines, movements)
    outcomes = {(i["reference"], i["outcome"]) for i in items}
    assert outcomes == {("A1", "matched"), ("A2", "amount_mismatch"), ("A1", "duplicate"),
                        ("ZZ", "missing_in_motcua"), ("14000001", "matched"),
                        ("RF1", "matched"), ("A3", "missing_in_statement")}
    summary = reconciliation.summarise(items)
    assert summary["mismatches"] == 4 and summary["counts"]["matched"] == 3


def test_ledger_hash_covers_every_field():
    row = {"seq": 1, "at": datetime(2026, 11, 23, 9, 0, tzinfo=TIMEZONE), "movement": "payment",
           "movement_id": uuid.uuid4(), "bill_id": uuid.uuid4(), "dossier_code": "X-1",
           "channel": "cash", "amount": 200000, "reference": "PL-2026-0000001"}
    first = ledger.chain_hash(ledger.GENESIS, row)
    for field, value in (("amount", 200001), ("channel", "card"), ("reference", "PL-2"),
                         ("seq", 2)):
        assert ledger.chain_hash(ledger.GENESIS, {**row, field: value}) != first
    assert ledger.chain_hash("1" * 64, row) != first
