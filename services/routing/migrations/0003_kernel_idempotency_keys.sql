-- Idempotency keys in the kernel's shape (services/common/kernel_tables.sql). A database
-- made before the kernel's tables kept them in routing.idempotent_requests: moved here.
DO $$
BEGIN
    IF to_regclass('routing.idempotent_requests') IS NOT NULL THEN
        INSERT INTO routing.idempotency_keys (principal, key, request_hash, status, response,
                                              created_at)
        SELECT caller, key, request_hash, status, response, created_at
          FROM routing.idempotent_requests
        ON CONFLICT DO NOTHING;
        DROP TABLE routing.idempotent_requests;
    END IF;
END $$;
