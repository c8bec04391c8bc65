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

