"""The desk under its officers' load: 20 signed-in officers at once browse the inbox and the
dossier pages and submit receptions, against a database of 100,000 dossiers.

    python -m bench.desk [--officers 20] [--duration 60] [--dossiers 100000] [--think 1-5]
                         [--json PATH]

Starts the whole stack (scripts.stack) on its own database and RabbitMQ virtual host (both
`motcua_bench_desk`, the database recreated) with ports shifted by 1600, seeds routing with
`--dossiers` dossiers of the police (`ca`) and the Department of Justice spread over a year
(written straight into routing's table: what the inbox reads), creates the demo's accounts,
then runs `--officers` threads for `--duration` seconds: a department officer's loop is an
inbox page (a filter or a search by name without diacritics, a page deep in the list) then
a dossier page; a counter officer's is the reception form and its submission. Between two
requests an officer reads or types for a time drawn from `--think` (seconds, 1 to 5 by
default: quicker than people at a counter, who spend minutes on a reception); `--think 0`
sends the next request as soon as the last one is answered, a stress test of the machine
rather than 20 people's day. A thread
polling `/health` of the desk at the same time gives the machine's baseline. It prints and
writes (--json) the p50/p95 of each kind of page with the machine, and whether the targets
hold: pages p95 < 150 ms, reception p95 < 300 ms."""
import argparse
import json
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter

import psycopg2
import requests

from scripts.desk_accounts import DEMO_PASSWORD, add_demo_accounts
from scripts.stack import Stack, ensure_database

NAME = "motcua_bench_desk"
TARGETS = {"inbox": 0.150, "dossier": 0.150, "reception form": 0.150, "reception": 0.300}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
GIVEN = ["Văn An", "Thị Bích Ngọc", "Minh Đức", "Thanh Bình", "Thị Mai", "Hồng Nhung",
         "Quốc Huy", "Thị Thu", "Văn Nam", "Ngọc Lan"]
SEED = """
INSERT INTO routing.dossiers (code, procedure_code, procedure_name, department, channel,
    status, received_at, due_date, legal_due_date, result_delivery, lookup_proof, phone_hash,
    applicant_name, applicant_phone, search_text)
SELECT 'BENCH-' || lpad(n::text, 7, '0'), '2.000488', 'Cấp Phiếu lý lịch tư pháp',
       CASE WHEN n %% 3 = 0 THEN 'stp' ELSE 'ca' END, 'counter',
       (ARRAY['assigned','processing','consulting','result_ready','returned'])[1 + n %% 5],
       now() - make_interval(days => n %% 365), current_date + (n %% 40) - 10,
       current_date + (n %% 40) - 10, 'counter', 'x', 'x', (%(names)s)[1 + n %% %(count)s],
       '09' || lpad((n %% 100000000)::text, 8, '0'),
       lower('bench-' || lpad(n::text, 7, '0')) || ' ' || (%(folded)s)[1 + n %% %(count)s]
         || ' 09' || lpad((n %% 100000000)::text, 8, '0')
  FROM generate_series(1, %(dossiers)s) AS n"""


def folded(text):
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def seed(db_url, dossiers):
    names = [f"{s} {g}" for s in SURNAMES for g in GIVEN]
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(SEED, {"names": names, "folded": [folded(n) for n in names],
                           "count": len(names), "dossiers": dossiers})
        cur.execute("ANALYZE routing.dossiers")
    conn.close()


class Officer:
    def __init__(self, desk, username):
        self.desk = desk
        self.http = requests.Session()
        form = self.http.get(f"{desk}/sign-in", timeout=10).text
        signed = self.http.post(f"{desk}/sign-in", timeout=10, data={
            "csrf": csrf_of(form), "username": username, "password": DEMO_PASSWORD})
        assert signed.status_code == 200, signed.status_code

    def timed(self, kind, method, path, samples, **kwargs):
        started = time.perf_counter()
        answer = self.http.request(method, self.desk + path, timeout=30, **kwargs)
        samples.setdefault(kind, []).append(time.perf_counter() - started)
        if answer.status_code >= 400:
            samples.setdefault("errors", []).append(f"{kind} {answer.status_code}: "
                                                    f"{refusal_of(answer.text)}")
        return answer


def refusal_of(html):
    """What the page says went wrong (its error summary's items), for the report."""
    summary = re.search(r'id="error-summary".*?</div>', html, re.S)
    items = re.findall(r"<li[^>]*>(.*?)</li>", summary.group(0), re.S) if summary else []
    return "; ".join(re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in items)[:200]


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def think_time(text):
    """`--think`: seconds an officer takes between two requests, "A-B" (drawn uniformly) or
    one number."""
    try:
        low, _, high = text.partition("-")
        low, high = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected seconds, e.g. 1-5 or 0") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 0 <= low <= high")
    return low, high


def pause(rng, think, until):
    time.sleep(max(0.0, min(rng.uniform(*think), until - time.monotonic())))


def department_loop(officer, rng, samples, until, think):
    pause(rng, (0, think[1]), until)  # officers do not all start at the same instant
    while time.monotonic() < until:
        query = rng.choice([{}, {"q": folded(rng.choice(SURNAMES) + " " + rng.choice(GIVEN))},
                            {"overdue": "1"}, {"due_soon": "1"}, {"page": str(rng.randint(2, 40))},
                            {"status": "processing"}])
        page = officer.timed("inbox", "GET", "/inbox", samples, params=query).text
        codes = re.findall(r'href="/dossiers/([^"]+)"', page)
        pause(rng, think, until)
        if codes and time.monotonic() < until:
            officer.timed("dossier", "GET", f"/dossiers/{rng.choice(codes)}", samples)
            pause(rng, think, until)


def counter_loop(officer, rng, samples, until, think):
    pause(rng, (0, think[1]), until)
    while time.monotonic() < until:
        form = officer.timed("reception form", "GET", "/reception?procedure=2.000488",
                             samples).text
        pause(rng, think, until)
        if time.monotonic() >= until:
            break
        officer.timed("reception", "POST", "/reception", samples, data={
            "csrf": csrf_of(form), "key": re.search(r'name="key" value="([^"]+)"', form)[1],
            "procedure_code": "2.000488", "doc.to_khai": "1", "doc.giay_to_tuy_than": "1",
            "applicant.full_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            "applicant.citizen_id": f"0791{rng.randrange(10**8):08d}",
            # mobile prefixes 090-098 (part of 099 is not assigned: refused as no number)
            "applicant.phone": f"09{rng.choice('01345678')}{rng.randrange(10**7):07d}",
            "applicant.address": "12 Lê Lợi, phường Long Xuyên, An Giang"})
        pause(rng, think, until)


def health_loop(desk, samples, until):
    http = requests.Session()
    while time.monotonic() < until:
        started = time.perf_counter()
        http.get(f"{desk}/health", timeout=10)
        samples.setdefault("health", []).append(time.perf_counter() - started)
        time.sleep(0.05)


def p(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--think", type=think_time, default=(1.0, 5.0),
                        help="seconds between an officer's requests, A-B or one number")
    parser.add_argument("--json", type=str)
    args = parser.parse_args()
    db_url = os.environ.get("MOTCUA_BENCH_DESK_DB", f"postgresql://postgres@127.0.0.1:5432/{NAME}")
    amqp = os.environ.get("MOTCUA_BENCH_DESK_AMQP", f"amqp://guest:guest@127.0.0.1:5672/{NAME}")
    if "MOTCUA_BENCH_DESK_AMQP" not in os.environ:
        api = "http://127.0.0.1:15672/api"
        requests.put(f"{api}/vhosts/{NAME}", auth=("guest", "guest"), timeout=300)
        requests.put(f"{api}/permissions/{NAME}/guest", auth=("guest", "guest"), timeout=60,
                     json={"configure": ".*", "write": ".*", "read": ".*"})
    ensure_database(db_url, fresh=True)
    with Stack(db_url, amqp, secrets.token_urlsafe(32), tempfile.mkdtemp(prefix="bench-desk-"),
               port_offset=1600) as stack:
        stack.prepare()
        seed(db_url, args.dossiers)
        add_demo_accounts(stack)
        stack.start()
        desk = stack.url("desk")
        until = time.monotonic() + args.duration
        samples = {}
        threads = [threading.Thread(target=health_loop, args=(desk, samples, until))]
        for n in range(args.officers):
            rng = random.Random(n)
            if n % 4 == 0:
                threads.append(threading.Thread(target=counter_loop, args=(
                    Officer(desk, "motcua.thu"), rng, samples, until, args.think)))
            else:
                threads.append(threading.Thread(target=department_loop, args=(
                    Officer(desk, "ca.an"), rng, samples, until, args.think)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    report = {"machine": f"{platform.node()} {os.cpu_count()} CPUs {platform.processor()}",
              "officers": args.officers, "dossiers": args.dossiers, "seconds": args.duration,
              "think_seconds": list(args.think),
              "errors": dict(Counter(samples.pop("errors", []))),
              "pages": {kind: {"count": len(values),
                               "p50_ms": round(statistics.median(values) * 1000, 1),
                               "p95_ms": round(p(values, 0.95) * 1000, 1)}
                        for kind, values in sorted(samples.items())}}
    report["targets_met"] = all(report["pages"][kind]["p95_ms"] < limit * 1000
                                for kind, limit in TARGETS.items() if kind in report["pages"])
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, ensure_ascii=False, indent=2)
    return 0 if report["targets_met"] and not report["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
