-- postal: post offices, delegations, volumes, receptions, pick-ups, shipments, and its outbox.
CREATE TABLE postal.post_offices (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    address         text NOT NULL,
    receiving_unit  text NOT NULL UNIQUE,  -- agency code used in the dossier codes it issues
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A department hands reception to a post office, for all its procedures (procedures NULL)
-- or the listed ones. The volume that allowed it (or the manager's override) is kept.
CREATE TABLE postal.delegations (
    id               bigserial PRIMARY KEY,
    department       text NOT NULL,
    post_office      text NOT NULL REFERENCES postal.post_offices (code),
    valid_from       date NOT NULL,
    valid_to         date,
    procedures       text[],
    volume           integer NOT NULL,
    volume_from      date NOT NULL,
    volume_to        date NOT NULL,
    override_reason  text,
    created_by       text NOT NULL,
    end_reason       text,
    ended_by         text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX delegations_office_department ON postal.delegations (post_office, department);

-- Dossiers received per department and month: counted from dossier.received, or recorded
-- by the manager for months before the system (a recorded figure replaces the count).
CREATE TABLE postal.department_volumes (
    department  text NOT NULL,
    month       date NOT NULL,  -- first day of the month, Asia/Ho_Chi_Minh
    counted     integer NOT NULL DEFAULT 0,
    recorded    integer,
    PRIMARY KEY (department, month)
);

-- Dossiers registered by a post office (from dossier.received with a postal clerk receiver).
CREATE TABLE postal.receptions (
    dossier_code    text PRIMARY KEY,
    post_office     text NOT NULL,
    department      text NOT NULL,
    procedure_code  text NOT NULL,
    clerk           text NOT NULL,
    received_at     timestamptz NOT NULL
);
CREATE INDEX receptions_received_at ON postal.receptions (received_at);

-- Idempotency-Key of a clerk's reception: claimed before intake is called.
CREATE TABLE postal.reception_keys (
    clerk         text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clerk, key)
);

CREATE TABLE postal.pickups (
    id              uuid PRIMARY KEY,
    post_office     text NOT NULL REFERENCES postal.post_offices (code),
    department      text NOT NULL,
    procedure_code  text NOT NULL,
    address         text NOT NULL,
    dossier         jsonb NOT NULL,
    fee             integer NOT NULL CHECK (fee >= 0),
    status          text NOT NULL CHECK (status IN ('requested', 'collected', 'received')),
    requested_by    text NOT NULL,
    collected_by    text,
    dossier_code    text UNIQUE,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    collected_at    timestamptz,
    received_at     timestamptz
);

CREATE SEQUENCE postal.tracking_serial MAXVALUE 99999999;

CREATE TABLE postal.shipments (
    id                 uuid PRIMARY KEY,
    tracking_number    text NOT NULL UNIQUE,
    dossier_code       text NOT NULL UNIQUE,
    department         text NOT NULL,
    post_office        text NOT NULL,
    recipient_name     text,
    phone              text,
    address            text NOT NULL,
    fee                integer NOT NULL CHECK (fee >= 0),
    status             text NOT NULL CHECK (status IN ('created', 'picked_up', 'in_transit',
                           'delivered', 'delivery_failed', 'returned_to_center')),
    attempts           integer NOT NULL DEFAULT 0,
    last_failure       text,
    created_at         timestamptz NOT NULL,
    status_at          timestamptz NOT NULL,
    delivered_at       timestamptz,
    returned_at        timestamptz
);
CREATE INDEX shipments_created_at ON postal.shipments (created_at);

-- Every tracking event applied; the key makes a repeated row (clerk or carrier file) a no-op.
CREATE TABLE postal.tracking_events (
    id               bigserial PRIMARY KEY,
    tracking_number  text NOT NULL REFERENCES postal.shipments (tracking_number),
    event            text NOT NULL,
    at               timestamptz NOT NULL,
    reason           text,
    source           text NOT NULL,
    actor            text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tracking_number, event, at)
);

