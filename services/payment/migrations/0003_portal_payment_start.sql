-- A payment through the portal's platform is reserved (committed) before INIT is sent, so no
-- transaction stays open across the call: `pay_url` is set once INIT answered (NULL: not yet,
-- or the answer was lost); `start_key` names the Idempotency-Key of the request that reserved
-- it, so a retry of that request takes the same reservation instead of a second payment.
ALTER TABLE payment.payments
    ADD COLUMN pay_url text,
    ADD COLUMN start_key text;
CREATE UNIQUE INDEX payments_start_key ON payment.payments (start_key)
    WHERE start_key IS NOT NULL AND status = 'pending';
