-- payment: bills, payments by channel, receipts, refunds, reconciliation, the ledger, outbox.
CREATE TABLE payment.bills (
    id                 uuid PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('fee', 'postal')),
    -- what the bill is for: the dossier code (fee) or the shipment id (postal); one bill each
    source_ref         text NOT NULL,
    source_event_id    uuid NOT NULL UNIQUE,
    dossier_code       text NOT NULL,
    department         text,
    procedure_code     text,
    payer_name         text,
    description        text NOT NULL,
    fee                bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
    charge             bigint NOT NULL DEFAULT 0 CHECK (charge >= 0),
    amount             bigint NOT NULL CHECK (amount > 0),
    paid               bigint NOT NULL DEFAULT 0 CHECK (paid >= 0),
    refunded           bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    refund_on_refusal  boolean NOT NULL DEFAULT false,
    -- nothing is owed any more (the dossier was refused): whatever was paid is due back
    void               boolean NOT NULL DEFAULT false,
    status             text NOT NULL CHECK (status IN
                         ('open', 'partially_paid', 'paid', 'overpaid', 'cancelled', 'refunded')),
    settled_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, source_ref)
);
CREATE INDEX bills_dossier ON payment.bills (dossier_code);

CREATE TABLE payment.payments (
    id                  uuid PRIMARY KEY,
    bill_id             uuid NOT NULL REFERENCES payment.bills (id),
    channel             text NOT NULL CHECK (channel IN ('cash', 'card', 'online')),
    amount              bigint NOT NULL CHECK (amount > 0),
    status              text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    -- what the bank or treasury statement shows: receipt number (cash), the POS terminal's
    -- reference (card), vnp_TxnRef (online)
    reference           text NOT NULL,
    terminal_id         text,
    gateway_transaction_no text,
    gateway_bank_code   text,
    gateway_response    text,
    recorded_by         text NOT NULL,
    expires_at          timestamptz,
    last_checked_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    UNIQUE (channel, reference)
);
CREATE INDEX payments_bill ON payment.payments (bill_id);
CREATE INDEX payments_pending_online ON payment.payments (created_at)
    WHERE status = 'pending' AND channel = 'online';
CREATE INDEX payments_completed ON payment.payments (completed_at) WHERE status = 'succeeded';

CREATE TABLE payment.refunds (
    id            uuid PRIMARY KEY,
    bill_id       uuid NOT NULL REFERENCES payment.bills (id),
    payment_id    uuid REFERENCES payment.payments (id),
    channel       text NOT NULL CHECK (channel IN ('cash', 'card', 'online')),
    amount        bigint NOT NULL CHECK (amount > 0),
    reason        text NOT NULL,
    reference     text NOT NULL,
    recorded_by   text NOT NULL,
    completed_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, reference)
);
CREATE INDEX refunds_bill ON payment.refunds (bill_id);

-- Biên lai numbers: one counter row per series and year, locked by the transaction that
-- issues a receipt, so numbers have neither gaps nor duplicates.
CREATE TABLE payment.receipt_counters (
    series       text NOT NULL,
    year         integer NOT NULL,
    last_number  integer NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE payment.receipts (
    id          uuid PRIMARY KEY,
    payment_id  uuid NOT NULL UNIQUE REFERENCES payment.payments (id),
    bill_id     uuid NOT NULL REFERENCES payment.bills (id),
    series      text NOT NULL,
    year        integer NOT NULL,
    number      integer NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    content     jsonb NOT NULL,
    UNIQUE (series, year, number)
);

-- Every notification the gateway (or someone pretending to be it) sent, with the outcome.
CREATE TABLE payment.gateway_notifications (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL,
    txn_ref      text,
    outcome      text NOT NULL,
    rsp_code     text NOT NULL
);

-- The day's statement of one channel (bank or treasury) and what matching it found.
CREATE TABLE payment.reconciliations (
    id           uuid PRIMARY KEY,
    day          date NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('cash', 'card', 'online')),
    source       text NOT NULL CHECK (source IN ('bank', 'treasury', 'gateway')),
    file_sha256  text NOT NULL,
    imported_by  text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    summary      jsonb NOT NULL,
    UNIQUE (day, channel)
);

CREATE TABLE payment.reconciliation_items (
    id                 bigserial PRIMARY KEY,
    reconciliation_id  uuid NOT NULL REFERENCES payment.reconciliations (id) ON DELETE CASCADE,
    outcome            text NOT NULL CHECK (outcome IN ('matched', 'missing_in_statement',
                         'missing_in_motcua', 'amount_mismatch', 'duplicate')),
    reference          text NOT NULL,
    line               integer,
    statement_amount   bigint,
    motcua_amount      bigint,
    movement           text,
    movement_id        uuid
);
CREATE INDEX reconciliation_items_recon ON payment.reconciliation_items (reconciliation_id, id);

-- The append-only ledger of every money movement, each row chained to the previous one.
CREATE TABLE payment.ledger (
    seq          bigint PRIMARY KEY,
    at           timestamptz NOT NULL,
    movement     text NOT NULL CHECK (movement IN ('payment', 'refund')),
    movement_id  uuid NOT NULL UNIQUE,
    bill_id      uuid NOT NULL,
    dossier_code text NOT NULL,
    channel      text NOT NULL,
    amount       bigint NOT NULL,
    reference    text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL
);

CREATE FUNCTION payment.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment.ledger is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON payment.ledger
    FOR EACH ROW EXECUTE FUNCTION payment.ledger_append_only();

-- Dossiers refused, kept so that a refusal that overtakes its dossier.received (separate
-- queues keep no order between them) still cancels the bill made afterwards.
CREATE TABLE payment.refused_dossiers (
    code        text PRIMARY KEY,
    reason      text NOT NULL,
    refused_at  timestamptz NOT NULL
);

-- The daily check runs once per day, whichever instance's tick comes first.
CREATE TABLE payment.daily_checks (
    day      date PRIMARY KEY,
    ran_at   timestamptz NOT NULL DEFAULT now(),
    summary  jsonb
);

