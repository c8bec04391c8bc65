"""For `make demo`: the center's everyday mistakes and how plainly they are answered (a
citizen mistypes the lookup secret, the accountant's statement was saved by Excel with bare CR
line ends or in Windows-1258, the gateway's answer arrives with a wrong signature), then what
the day left behind: no ERROR line in the services' logs, and no lookup secret on any queue
or stream of the broker."""
import json
import re
from datetime import timedelta
from pathlib import Path

import pika
import requests

from scripts.payment_gateway import ipn_params
from services.common.events import now
from services.payment.gateway import sign

MAX_MESSAGES_READ = 10_000  # per queue: the demo's day has a few thousand at most


def mistyped(secret):
    """The secret as a citizen mistypes it: two neighbouring characters swapped (or, where
    they are the same, the last one changed)."""
    swapped = secret[:-2] + secret[-1] + secret[-2]
    return swapped if swapped != secret else secret[:-1] + ("A" if secret[-1] != "A" else "B")


def plain(response):
    """The answer as a person reads it: the status and the message (and fields)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} {response.text[:120]}"
    error = body.get("error") if isinstance(body, dict) else None
    if not error:
        return f"HTTP {response.status_code} {json.dumps(body, ensure_ascii=False)[:160]}"
    fields = "; ".join(f"{name}: {', '.join(problems)}"
                       for name, problems in (error.get("fields") or {}).items())
    return f"HTTP {response.status_code} {error['code']}: {error['message']}" + (
        f" ({fields})" if fields else "")


def show(stack, token_for, dossier, gateway_secret, out=print):
    """The three mistakes, each answered; {check: passed}."""
    checks = {}
    lookup = stack.url("routing", f"/api/v1/dossiers/{dossier['code']}")
    typed = mistyped(dossier["lookup_secret"])
    answer = requests.get(lookup, params={"secret": typed}, timeout=10)
    out(f"1) a citizen types the lookup secret {typed} instead of {dossier['lookup_secret']}:")
    out(f"    {plain(answer)}")
    checks["a mistyped lookup secret is a plain 404"] = (
        answer.status_code == 404 and answer.json()["error"]["code"] == "not_found")

    manager = {"Authorization": f"Bearer {token_for('manager')}", "Content-Type": "text/csv"}
    day = (now().date() - timedelta(days=1)).isoformat()
    lines = ["reference,amount,value_date,description",
             f"PL-{day[:4]}-0000001,150000,{day},Đoàn Hà nộp thay"]
    statements = stack.url("payment", "/api/v1/statements")
    for saved_as, raw, expected in (
            ("Excel's CSV (Macintosh): lines end in a bare CR", "\r".join(lines) + "\r",
             {201, 200}),
            ("Windows-1258 instead of UTF-8",
             ("\r\n".join(lines) + "\r\n").encode("cp1258", "replace"), {422})):
        answer = requests.post(statements, params={"day": day, "channel": "cash",
                                                   "source": "treasury"},
                               data=raw.encode() if isinstance(raw, str) else raw,
                               headers=manager, timeout=10)
        out(f"2) the accountant imports a statement saved as {saved_as}:")
        if answer.status_code in (200, 201):
            summary = answer.json()["channels"][0]["summary"]
            out(f"    HTTP {answer.status_code}: read, {sum(summary['counts'].values())} line(s) "
                f"reconciled ({', '.join(f'{k} {v}' for k, v in summary['counts'].items() if v)})")
        else:
            out(f"    {plain(answer)}")
        named_line = answer.status_code != 422 or re.search(r"line \d", answer.text)
        checks[f"a statement saved as {saved_as.split(':')[0]} is answered plainly"] = (
            answer.status_code in expected and bool(named_line))

    checks.update(_wrong_signatures(stack, gateway_secret, out))
    return checks


def _wrong_signatures(stack, gateway_secret, out):
    """The gateway's answer signed with another key, and one whose signature is not even
    ASCII: VNPay's "bad signature" (RspCode 97) on the IPN, a 400 on the return URL."""
    pay_url = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?" + "&".join((
        "vnp_Amount=15000000", "vnp_OrderInfo=Thanh+toan+le+phi", "vnp_TmnCode=MOTCUA01",
        "vnp_TxnRef=PL-DEMO-SAI-CHU-KY"))
    forged = ipn_params(gateway_secret, pay_url)
    forged["vnp_SecureHash"] = sign("not-the-merchant-key-" + gateway_secret[:8], forged)
    garbled = {**forged, "vnp_SecureHash": "chữ-ký-sai-" + forged["vnp_SecureHash"][:20]}
    checks = {}
    for what, params in (("signed with another key", forged), ("with a non-ASCII signature",
                                                                garbled)):
        ipn = requests.get(stack.url("payment", "/api/v1/gateway/vnpay/ipn"), params=params,
                           timeout=10)
        back = requests.get(stack.url("payment", "/api/v1/gateway/vnpay/return"),
                            params=params, timeout=10)
        out(f"3) the gateway's answer arrives {what}:")
        out(f"    IPN -> HTTP {ipn.status_code} {json.dumps(ipn.json(), ensure_ascii=False)}")
        out(f"    return URL -> {plain(back)}")
        checks[f"a gateway answer {what} is VNPay's bad signature (97)"] = (
            ipn.status_code == 200 and ipn.json().get("RspCode") == "97"
            and back.status_code == 400)
    return checks


# ----------------------------------------------------------------------------- afterwards
def error_lines(log_dir):
    """{log file: [its ERROR and CRITICAL lines, and tracebacks]}."""
    found = {}
    for path in sorted(Path(log_dir).glob("*.log")):
        bad = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                level = json.loads(line).get("level")
            except (ValueError, AttributeError):
                level = "ERROR" if line.startswith("Traceback") else None
            if level in ("ERROR", "CRITICAL"):
                bad.append(line)
        if bad:
            found[path.name] = bad
    return found


def queues(management_api, vhost):
    """(name, type) of every queue of the virtual host, from RabbitMQ's management API."""
    listed = requests.get(f"{management_api}/queues/{requests.utils.quote(vhost, safe='')}",
                          auth=("guest", "guest"), timeout=10)
    listed.raise_for_status()
    return [(queue["name"], queue.get("type", "classic")) for queue in listed.json()]


def read_messages(amqp_uri, name, kind):
    """The bodies on a queue, left where they are (unacknowledged, so given back when the
    connection closes); a stream is read from its first offset."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    bodies = []
    try:
        channel = connection.channel()
        if kind != "stream":
            while len(bodies) < MAX_MESSAGES_READ:
                method, _, body = channel.basic_get(name, auto_ack=False)
                if method is None:
                    break
                bodies.append(body)
            return bodies
        channel.basic_qos(prefetch_count=1000)
        channel.basic_consume(name, lambda ch, method, props, body: bodies.append(body),
                              arguments={"x-stream-offset": "first"})
        seen = -1
        while len(bodies) != seen and len(bodies) < MAX_MESSAGES_READ:
            seen = len(bodies)
            connection.process_data_events(time_limit=1)
            for tag in range(seen, len(bodies)):  # a stream gives more once these are acked
                channel.basic_ack(tag + 1)
        return bodies
    finally:
        connection.close()


def secrets_at_rest(amqp_uri, management_api, vhost, secrets):
    """{queue: (messages read, how many hold a lookup secret)} for every queue and stream."""
    wanted = [secret.encode() for secret in secrets]
    found = {}
    for name, kind in queues(management_api, vhost):
        bodies = read_messages(amqp_uri, name, kind)
        found[name] = (len(bodies), sum(any(s in body for s in wanted) for body in bodies))
    return found


def check_afterwards(log_dir, amqp_uri, management_api, vhost, secrets, out=print):
    """The logs and the broker after the day: {check: passed}."""
    errors = error_lines(log_dir)
    total = sum(len(lines) for lines in errors.values())
    out(f"ERROR lines in the services' logs ({Path(log_dir).name}/*.log): {total}")
    for name, lines in errors.items():
        out(f"  {name}: {len(lines)}, first: {lines[0][:200]}")
    checks = {"no ERROR line in the logs": total == 0}
    try:
        found = secrets_at_rest(amqp_uri, management_api, vhost, secrets)
    except (requests.RequestException, pika.exceptions.AMQPError) as exc:
        out(f"the broker's queues could not be read ({type(exc).__name__}: {exc})")
        return {**checks, "the broker's queues read": False}
    holding = {name: counts for name, counts in found.items() if counts[1]}
    out(f"lookup secrets at rest in the broker: {sum(n for _, n in found.values())} message(s) "
        f"hold one, in {len(holding)} of {len(found)} queues and streams")
    for name, (read, with_secret) in sorted(holding.items()):
        out(f"  {name}: {with_secret} of {read} messages")
    checks["no lookup secret in any queue or stream"] = not holding
    return checks
