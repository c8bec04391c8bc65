"""The gateway's side of an online payment, for the demo and the tests: what VNPay sends to
the IPN URL after the citizen paid (or gave up), signed with the merchant's secret."""
import secrets
import urllib.parse
from datetime import datetime

from services.common.events import TIMEZONE
from services.payment.gateway import DATE_FORMAT, sign


def redirect_params(pay_url):
    """The vnp_* parameters of a payment URL as the gateway receives them."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay_url).query))


def ipn_params(secret, pay_url, paid=True, amount=None, transaction_no=None, bank_code="NCB"):
    """The signed query string of the IPN the gateway sends for a payment URL."""
    asked = redirect_params(pay_url)
    params = {
        "vnp_Amount": str(amount * 100) if amount is not None else asked["vnp_Amount"],
        "vnp_BankCode": bank_code,
        "vnp_BankTranNo": f"VNP{secrets.randbelow(10**8):08d}",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": asked["vnp_OrderInfo"],
        "vnp_PayDate": datetime.now(TIMEZONE).strftime(DATE_FORMAT),
        "vnp_ResponseCode": "00" if paid else "24",  # 24: the citizen cancelled
        "vnp_TmnCode": asked["vnp_TmnCode"],
        "vnp_TransactionNo": transaction_no or str(14_000_000 + secrets.randbelow(10**6)),
        "vnp_TransactionStatus": "00" if paid else "02",
        "vnp_TxnRef": asked["vnp_TxnRef"],
    }
    params["vnp_SecureHash"] = sign(secret, params)
    return params
