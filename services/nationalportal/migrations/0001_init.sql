-- nationalportal: what DVCQG must show of each dossier, and what it handed us.

-- One row per dossier the portal must show: the facts of its reception (from
-- dossier.received), the portal's own id beside our code for an online one, and its sync
-- state. `version` grows with every change the portal must see; `synced_version` is the
-- last the portal acknowledged. `added` once the portal holds the dossier (later sends are
-- updates). `next_attempt_at` is the backoff, and the lease of a send in flight.
CREATE TABLE nationalportal.dossiers (
    code             text PRIMARY KEY,
    facts            jsonb NOT NULL,
    portal_id        text,
    received_at      timestamptz NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    synced_version   integer NOT NULL DEFAULT 0,
    added            boolean NOT NULL DEFAULT false,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'acknowledged', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    synced_at        timestamptz,
    -- since when the portal has been behind (the sync lag), NULL when it is not
    pending_since    timestamptz DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_due ON nationalportal.dossiers (next_attempt_at)
    WHERE version > synced_version AND state <> 'failed';
CREATE INDEX dossiers_received ON nationalportal.dossiers (received_at);

-- One row per step DVCQG shows as progress (CapNhatTienDoHoSoMC), named by the event that
-- made it: a redelivered event adds no second row. A step waits for its dossier's `added`.
CREATE TABLE nationalportal.steps (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE,
    code             text NOT NULL,
    at               timestamptz NOT NULL,
    status_code      text NOT NULL,
    facts            jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'acknowledged', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    sent_at          timestamptz,
    acknowledged_at  timestamptz
);
CREATE INDEX steps_of_dossier ON nationalportal.steps (code, at);
CREATE INDEX steps_open ON nationalportal.steps (code) WHERE state IN ('pending', 'sent');

-- Online dossiers DVCQG handed over, by the portal's id: taken once, handed to intake
-- once (its Idempotency-Key is the portal's id), acknowledged to the portal only after
-- intake committed. A malformed one is parked with the reason and not acknowledged.
CREATE TABLE nationalportal.inbound (
    portal_id        text PRIMARY KEY,
    fetched          jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'taken'
                     CHECK (state IN ('taken', 'registered', 'acknowledged', 'parked')),
    reason           text,
    submission_id    uuid,
    attempts         integer NOT NULL DEFAULT 0,
    taken_at         timestamptz NOT NULL DEFAULT now(),
    registered_at    timestamptz,
    acknowledged_at  timestamptz
);
CREATE INDEX inbound_open ON nationalportal.inbound (taken_at)
    WHERE state IN ('taken', 'registered');
CREATE UNIQUE INDEX inbound_submission ON nationalportal.inbound (submission_id);
