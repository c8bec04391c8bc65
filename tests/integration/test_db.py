"""services.common.db on the real database: a spelled-out transaction never leaves half of its
work behind, nor a connection stuck inside a transaction."""
import pytest

from services.common.db import Pool
from tests.conftest import query


@pytest.fixture
def probe(db):
    with db.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS public.pool_probe (n int); TRUNCATE pool_probe")
    return db


def test_spelled_out_transaction_commits_what_its_statements_commit(probe, db_url):
    pool = Pool(db_url, size=1)
    with pool.spelled_out_transaction() as cur:
        cur.execute("BEGIN; INSERT INTO pool_probe VALUES (1)")
        cur.execute("INSERT INTO pool_probe VALUES (2); COMMIT")
    assert [r["n"] for r in query(probe, "SELECT n FROM pool_probe ORDER BY n")] == [1, 2]
    pool.close()


@pytest.mark.parametrize("ending", ["error", "no commit"])
def test_spelled_out_transaction_left_open_stores_nothing(probe, db_url, ending):
    pool = Pool(db_url, size=1)
    try:
        with pool.spelled_out_transaction() as cur:
            cur.execute("BEGIN; INSERT INTO pool_probe VALUES (1)")
            if ending == "error":
                raise RuntimeError("rendering failed")
    except RuntimeError:
        assert ending == "error"
    with pool.transaction() as cur:  # the same, only connection: usable, not in a transaction
        cur.execute("INSERT INTO pool_probe VALUES (3)")
    assert [r["n"] for r in query(probe, "SELECT n FROM pool_probe")] == [3]
    pool.close()
