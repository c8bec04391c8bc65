-- The applicant's evaluation of each dossier (dossier.evaluated), synced to DVCQG once its
-- dossier is there; one per event, a later evaluation replacing the earlier on the portal.
CREATE TABLE nationalportal.ratings (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE,
    code             text NOT NULL,
    facts            jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'acknowledged', 'failed')),
    last_error       text,
    acknowledged_at  timestamptz
);
CREATE INDEX ratings_open ON nationalportal.ratings (code) WHERE state IN ('pending', 'sent');
