-- The portal's payment platform (DVCQG) beside VNPay on the online channel, and its e-receipt.
ALTER TABLE payment.payments
    ADD COLUMN provider text NOT NULL DEFAULT 'vnpay' CHECK (provider IN ('vnpay', 'dvcqg')),
    ADD COLUMN portal_receipt jsonb;
CREATE INDEX payments_portal_unreceipted ON payment.payments (created_at)
    WHERE provider = 'dvcqg' AND status = 'succeeded' AND portal_receipt IS NULL;
