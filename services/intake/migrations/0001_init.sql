-- intake: the procedure catalogue, dossier registration, receipts, and its outbox.
CREATE TABLE intake.departments (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    receiving_unit  text NOT NULL UNIQUE
);

CREATE TABLE intake.receiving_units (
    code  text PRIMARY KEY,   -- agency code V1V2V3.Z1Z2.Y1Y2.MX1X2
    name  text NOT NULL,
    kind  text NOT NULL CHECK (kind IN ('center', 'department', 'post_office'))
);

CREATE TABLE intake.procedures (
    code        text PRIMARY KEY,
    department  text NOT NULL REFERENCES intake.departments (code),
    active      boolean NOT NULL DEFAULT true,
    data        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX procedures_department ON intake.procedures (department);

-- XXXX of the dossier code: per receiving unit and reception day, from 0001, never reused.
CREATE TABLE intake.daily_sequences (
    receiving_unit  text NOT NULL,
    day             date NOT NULL,
    last_number     integer NOT NULL,
    PRIMARY KEY (receiving_unit, day)
);

CREATE TABLE intake.dossiers (
    code             text PRIMARY KEY,
    procedure_code   text NOT NULL REFERENCES intake.procedures (code),
    department       text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('counter', 'online', 'postal')),
    receiving_unit   text NOT NULL,
    received_at      timestamptz NOT NULL,
    due_date         date NOT NULL,
    applicant        jsonb NOT NULL,
    documents        jsonb NOT NULL,
    result_delivery  text NOT NULL CHECK (result_delivery IN ('counter', 'post')),
    delivery_address text,
    lookup_secret    text NOT NULL,
    receiver         jsonb NOT NULL,
    receipt          jsonb NOT NULL
);
CREATE INDEX dossiers_received_at ON intake.dossiers (received_at);

