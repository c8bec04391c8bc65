-- routing: the lifecycle after assignment: clock (pause, extension, overdue), actions'
-- records (supplements, consultations, apologies, ratings), and idempotent writes.
ALTER TABLE routing.dossiers
    ADD COLUMN procedure           jsonb,
    ADD COLUMN processing_unit     text,
    ADD COLUMN legal_due_date      date,
    ADD COLUMN paused_since        timestamptz,
    ADD COLUMN paused_working_days integer NOT NULL DEFAULT 0,
    ADD COLUMN due_soon_at         timestamptz,
    ADD COLUMN overdue_at          timestamptz,
    ADD COLUMN resolved_at         timestamptz,
    ADD COLUMN result_reference    text,
    ADD COLUMN fees_paid_at        timestamptz,
    ADD COLUMN returned_at         timestamptz,
    ADD COLUMN return_method       text,
    ADD COLUMN refused_at          timestamptz,
    ADD COLUMN withdrawn_at        timestamptz,
    -- for a result sent by post only: who receives it and where (never logged)
    ADD COLUMN recipient_name      text,
    ADD COLUMN recipient_phone     text,
    ADD COLUMN delivery_address    text;
UPDATE routing.dossiers SET legal_due_date = due_date WHERE legal_due_date IS NULL;
ALTER TABLE routing.dossiers ALTER COLUMN legal_due_date SET NOT NULL;
CREATE INDEX dossiers_open_due ON routing.dossiers (due_date)
    WHERE status IN ('assigned', 'processing', 'resubmitted', 'consulting');

ALTER TABLE routing.history
    ADD COLUMN action       text,
    ADD COLUMN from_status  text,
    ADD COLUMN actor_role   text,
    ADD COLUMN department   text;

CREATE TABLE routing.supplements (
    id                   bigserial PRIMARY KEY,
    dossier_code         text NOT NULL REFERENCES routing.dossiers (code),
    documents            jsonb NOT NULL,
    reason               text NOT NULL,
    requested_at         timestamptz NOT NULL,
    requested_by         text NOT NULL,
    resubmitted_at       timestamptz,
    resubmitted_by       text,
    paused_working_days  integer
);
CREATE INDEX supplements_dossier ON routing.supplements (dossier_code, id);

CREATE TABLE routing.consultations (
    id             bigserial PRIMARY KEY,
    dossier_code   text NOT NULL REFERENCES routing.dossiers (code),
    department     text NOT NULL,
    question       text NOT NULL,
    reply_due_date date NOT NULL,
    requested_at   timestamptz NOT NULL,
    requested_by   text NOT NULL,
    replied_at     timestamptz,
    replied_by     text,
    opinion        text,
    agrees         boolean
);
CREATE INDEX consultations_dossier ON routing.consultations (dossier_code, id);

CREATE TABLE routing.apologies (
    letter_number      text PRIMARY KEY,
    dossier_code       text NOT NULL REFERENCES routing.dossiers (code),
    department         text NOT NULL,
    reason             text NOT NULL,
    previous_due_date  date NOT NULL,
    new_due_date       date NOT NULL,
    issued_at          timestamptz NOT NULL,
    issued_by          text NOT NULL
);
CREATE INDEX apologies_dossier ON routing.apologies (dossier_code);

CREATE TABLE routing.ratings (
    dossier_code  text PRIMARY KEY REFERENCES routing.dossiers (code),
    overall       text NOT NULL,
    criteria      jsonb NOT NULL,
    comment       text,
    officers      text[] NOT NULL,
    department    text NOT NULL,
    rated_at      timestamptz NOT NULL
);

