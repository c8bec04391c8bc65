"""The append-only ledger of money movements: each row carries sha256(previous hash +
canonical row), so a changed, inserted or deleted row breaks the chain.

Appends are serialised by a transaction-scoped advisory lock (the chain has one head). The
table also refuses UPDATE and DELETE by trigger; `verify` does not rely on it: it recomputes
the chain and checks every recorded payment and refund against its ledger row, which also
catches rows cut from the end of the chain.
"""
import hashlib
import json
from datetime import UTC

from services.common.events import now
from services.common.money import vnd

from . import store

GENESIS = "0" * 64


def canonical(row):
    """The row as the hash sees it: fixed keys, UTC time with microseconds, sorted JSON."""
    return json.dumps({
        "seq": int(row["seq"]),
        "at": row["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "movement": row["movement"],
        "movement_id": str(row["movement_id"]),
        "bill_id": str(row["bill_id"]),
        "dossier_code": row["dossier_code"],
        "channel": row["channel"],
        "amount": int(row["amount"]),
        "reference": row["reference"],
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash, row):
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def append(cur, movement, movement_id, bill, channel, amount, reference, at=None):
    """Record one movement (+amount in, -amount out) in the caller's transaction."""
    last = store.ledger_head(cur)
    row = {
        "seq": (last["seq"] + 1) if last else 1,
        "at": at or now(),
        "movement": movement,
        "movement_id": movement_id,
        "bill_id": bill["id"],
        "dossier_code": bill["dossier_code"],
        "channel": channel,
        "amount": amount,
        "reference": reference,
    }
    row["prev_hash"] = last["hash"] if last else GENESIS
    row["hash"] = chain_hash(row["prev_hash"], row)
    store.insert_ledger_row(cur, row)
    return row


def verify(cur):
    """Every problem found in the ledger, as readable strings; [] when it is intact."""
    problems = []
    prev_hash, expected_seq = GENESIS, 1
    ledger_rows = {}
    for row in store.ledger_rows(cur):
        if row["seq"] != expected_seq:
            problems.append(f"row {expected_seq} to {row['seq'] - 1} missing (deleted?)")
        if row["prev_hash"] != prev_hash:
            problems.append(f"row {row['seq']}: does not follow row {row['seq'] - 1} "
                            "(previous hash differs)")
        if chain_hash(row["prev_hash"], row) != row["hash"]:
            problems.append(f"row {row['seq']}: content changed (hash mismatch)")
        prev_hash, expected_seq = row["hash"], row["seq"] + 1
        ledger_rows[str(row["movement_id"])] = row
    problems += _check_movements(cur, ledger_rows)
    return problems


def _check_movements(cur, ledger_rows):
    """Each succeeded payment (+) and refund (-) has its ledger row with the same amount."""
    problems = []
    for movement in store.recorded_movements(cur):
        row = ledger_rows.pop(str(movement["id"]), None)
        if row is None:
            problems.append(f"{movement['movement']} {movement['id']} has no ledger row (deleted?)")
        elif row["amount"] != movement["amount"] or row["movement"] != movement["movement"]:
            problems.append(f"row {row['seq']}: amount {row['amount']} differs from the recorded "
                            f"{movement['movement']} ({movement['amount']})")
    for row in ledger_rows.values():
        problems.append(f"row {row['seq']}: no recorded {row['movement']} {row['movement_id']}")
    return problems


def verify_command(db_url):
    """`motcua ledger verify`: prints the outcome; exit status 0 intact, 1 tampered."""
    import psycopg2
    import psycopg2.extras

    conn = psycopg2.connect(db_url, cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            problems = verify(cur)
            totals = store.ledger_totals(cur)
    finally:
        conn.close()
    if problems:
        print(f"ledger TAMPERED: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"ledger intact: {totals['n']} movement(s), net {vnd(totals['net'])}")
    return 0
