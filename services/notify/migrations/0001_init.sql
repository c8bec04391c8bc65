-- notify: the citizen's contacts per dossier, the notifications sent to them, opt-outs,
-- processed events and the outbox.
CREATE TABLE notify.contacts (
    dossier_code  text PRIMARY KEY,
    full_name     text NOT NULL,
    phone         text,            -- normal form 0xxxxxxxxx; NULL when invalid
    email         text,
    department    text NOT NULL,   -- who may read this dossier's notifications
    received_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notify.notifications (
    id                   uuid PRIMARY KEY,
    event_id             uuid NOT NULL,
    event_type           text NOT NULL,
    dossier_code         text NOT NULL,
    correlation_id       text NOT NULL,
    channel              text NOT NULL CHECK (channel IN ('sms', 'email')),
    template             text NOT NULL,
    recipient            text NOT NULL,
    content              jsonb NOT NULL,  -- sms: {text, coding, segments}; email: {subject, text, html}
    urgent               boolean NOT NULL,
    status               text NOT NULL CHECK (status IN
                             ('pending', 'sent', 'delivered', 'failed', 'expired', 'opted_out')),
    attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    finished_at          timestamptz,
    provider             text,
    provider_message_id  text,
    last_error           text,
    -- one notification per event per channel, however often the event is delivered
    UNIQUE (event_id, channel)
);
CREATE INDEX notifications_due ON notify.notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_sent ON notify.notifications (sent_at) WHERE status = 'sent';
CREATE INDEX notifications_dossier ON notify.notifications (dossier_code, created_at);

CREATE TABLE notify.opt_outs (
    channel     text NOT NULL CHECK (channel IN ('sms', 'email')),
    address     text NOT NULL,   -- normal-form phone, or lower-case email
    opted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);

CREATE TABLE notify.processed_messages (
    message_id    uuid NOT NULL,
    consumer      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, consumer)
);

CREATE TABLE notify.outbox (
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
CREATE INDEX outbox_unpublished ON notify.outbox (seq) WHERE published_at IS NULL;

CREATE FUNCTION notify.outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notify_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake AFTER INSERT ON notify.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify.outbox_wake();
