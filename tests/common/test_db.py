"""services.common.db on the real database: a spelled-out transaction never leaves half of its
work behind, nor a connection stuck inside a transaction; a prepared statement is prepared
once per connection, outlives a failed batch, and stores its values as given."""
import psycopg2.errors
import pytest

from services.common.db import Pool, PreparedStatement, StatementBatch
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


def test_prepared_statement_outlives_a_failed_batch_and_each_connection_prepares_it(probe,
                                                                                   db_url):
    insert = PreparedStatement("test_pool_probe_insert",
                               "INSERT INTO pool_probe (n) VALUES (length(%(text)s::text))")
    pool, other = Pool(db_url, size=1), Pool(db_url, size=1)
    with pytest.raises(psycopg2.errors.DivisionByZero), pool.autocommit() as cur:
        batch = StatementBatch(cur)
        insert.execute(batch, {"text": "x"})
        batch.execute("SELECT 1/0")
        batch.run()  # all or nothing: the insert is not kept
    with pool.transaction() as cur:
        insert.execute(cur, {"text": "50% 'off' %(n)s"})  # the same connection, prepared
    with other.transaction() as cur:
        insert.execute(cur, {"text": "ab"})  # another connection prepares its own
    assert sorted(r["n"] for r in query(probe, "SELECT n FROM pool_probe")) == [2, 15]
    pool.close()
    other.close()
