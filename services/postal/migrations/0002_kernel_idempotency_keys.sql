-- Idempotency keys of receptions in the kernel's table (services/common/kernel_tables.sql):
-- postal.reception_keys moved there, an answered key with status 201. The kernel hashes a
-- request differently, so a key answered before this migration is refused (409) rather
-- than replayed if its request comes again: never registered twice.
INSERT INTO postal.idempotency_keys (principal, key, request_hash, status, response, created_at)
SELECT clerk, key, request_hash, CASE WHEN response IS NOT NULL THEN 201 END, response,
       created_at
  FROM postal.reception_keys
ON CONFLICT DO NOTHING;
DROP TABLE postal.reception_keys;
