"""The citizen pays a dossier's fees online (no sign-in): once the lookup secret proved right
(the dossier's cookie), the desk calls payment with a two-minute citizen token that opens that
dossier's bills only; payment starts the payment with the configured gateway, and the
citizen goes there by a link (a redirect after the form would cross the pages' CSP
form-action). The gateway sends the browser back to `/thanh-toan/ket-qua`, whose signed
parameters payment checks; only the gateway's server-to-server notification settles the
bill."""
import uuid
from urllib.parse import quote

from werkzeug.wrappers import Response

from .citizen_access import checked_code, client_address, secret_or_lookup
from .web import PageError, render

BILL_STATUSES = {"open": "Chưa nộp", "partially_paid": "Đã nộp một phần", "paid": "Đã nộp đủ",
                 "overpaid": "Đã nộp thừa (sẽ được hoàn trả)", "refunded": "Đã hoàn trả",
                 "cancelled": "Đã hủy"}


def bills_of(services, code):
    """The dossier's bills, as its applicant may see them."""
    answer = services.as_citizen_of(code).call("payment", "GET", "/api/v1/bills",
                                               params={"dossier_code": code})
    return answer.body.get("bills", []) if answer.ok else []


def start(services, settings, dossier_pass, request, code):
    code = checked_code(code)
    secret_or_lookup(request, dossier_pass, code)
    bill = request.form.get("bill", "").strip()
    answer = services.as_citizen_of(code).call(
        "payment", "POST", f"/api/v1/bills/{quote(bill, safe='')}/payments", expect=(200, 201),
        json={"channel": "online",
              "ip_addr": client_address(request, settings.trusted_proxies)},
        headers={"Idempotency-Key": request.form.get("key") or str(uuid.uuid4())})
    if not answer.ok:
        raise PageError(answer.status, answer.error.get("message")
                        or "Không bắt đầu được việc thanh toán; hãy thử lại.",
                        "Chưa thanh toán được")
    return render("payment_start.html", user=None, code=code, payment=answer.body["payment"],
                  pay_url=answer.body["pay_url"], expires_at=answer.body.get("expires_at"))


def result(services, dossier_pass, request):
    """What the gateway says of the payment the browser comes back from (payment checks its
    signature), and the way back to the dossier."""
    answer = services.call("payment", "GET", "/api/v1/gateway/vnpay/return",
                           params=request.args.to_dict())
    if not answer.ok:
        raise PageError(404, "Không tìm thấy giao dịch thanh toán này.", "Không tìm thấy")
    return render("payment_result.html", user=None, result=answer.body,
                  code=dossier_pass.code_held(request))


def receipt(services, dossier_pass, request, code, receipt_id):
    """A receipt (biên lai) of the dossier's fees, printable, as payment issues it."""
    code = checked_code(code)
    secret_or_lookup(request, dossier_pass, code)
    answer = services.as_citizen_of(code).call(
        "payment", "GET", f"/api/v1/receipts/{quote(receipt_id, safe='')}",
        params={"format": "html"})
    if not answer.ok:
        raise PageError(404, "Không có biên lai này.", "Không tìm thấy")
    return Response(answer.text, mimetype="text/html")
