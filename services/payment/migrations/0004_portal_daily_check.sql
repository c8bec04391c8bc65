-- The daily check runs once per day and provider (VNPay's querydr, the portal platform's
-- status query), whichever instance's tick comes first.
ALTER TABLE payment.daily_checks ADD COLUMN provider text NOT NULL DEFAULT 'vnpay'
    CHECK (provider IN ('vnpay', 'dvcqg'));
ALTER TABLE payment.daily_checks DROP CONSTRAINT daily_checks_pkey;
ALTER TABLE payment.daily_checks ADD PRIMARY KEY (day, provider);
