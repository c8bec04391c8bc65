-- The kernel's tables, in every service's schema ({schema}): written here once, applied
-- before the service's own migrations, every time (each statement is idempotent).

-- Envelope ids already handled, per consumer (the handler's method name): a redelivered
-- event is recognised in the same transaction as its effect.
CREATE TABLE IF NOT EXISTS {schema}.processed_messages (
    message_id    uuid NOT NULL,
    consumer      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, consumer)
);

-- Events written in the transaction of the change they announce; the relay publishes them.
CREATE TABLE IF NOT EXISTS {schema}.outbox (
    seq              bigserial PRIMARY KEY,
    id               uuid NOT NULL UNIQUE,
    exchange         text NOT NULL,
    routing_key      text NOT NULL,
    body             jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON {schema}.outbox (seq)
    WHERE published_at IS NULL;

-- Wakes the relay (LISTEN {schema}_outbox) once per inserting statement.
CREATE OR REPLACE FUNCTION {schema}.outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{schema}_outbox', '');
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER outbox_wake AFTER INSERT ON {schema}.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.outbox_wake();

-- Answers kept per (caller, Idempotency-Key): claimed (status NULL) in the transaction of
-- the request's effect, completed with the answer before it commits.
CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
    principal     text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- The province's calendar overrides as this service last learned them (calendar.changed, from
-- intake, which owns them; services/common/calendar.py): one row, replaced only by a newer
-- revision. Each instance reads it at start and again when `{schema}_calendar` is notified.
CREATE TABLE IF NOT EXISTS {schema}.working_calendar (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision      bigint NOT NULL CHECK (revision > 0),
    days_off      date[] NOT NULL,
    working_days  date[] NOT NULL,
    changed_at    timestamptz NOT NULL
);
