-- routing: the dossier lifecycle after reception, its history, and its outbox.
CREATE TABLE routing.dossiers (
    code                text PRIMARY KEY,
    procedure_code      text NOT NULL,
    procedure_name      text NOT NULL,
    department          text NOT NULL,
    cooperating         text[] NOT NULL DEFAULT '{}',
    channel             text NOT NULL,
    status              text NOT NULL,
    received_at         timestamptz NOT NULL,
    due_date            date NOT NULL,
    result_delivery     text NOT NULL,
    lookup_secret_hash  text NOT NULL,
    phone_hash          text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_department_status ON routing.dossiers (department, status);
CREATE INDEX dossiers_received_at ON routing.dossiers (received_at);

CREATE TABLE routing.history (
    id            bigserial PRIMARY KEY,
    dossier_code  text NOT NULL REFERENCES routing.dossiers (code),
    at            timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL,
    actor         text NOT NULL,
    note          text
);
CREATE INDEX history_dossier ON routing.history (dossier_code, id);

