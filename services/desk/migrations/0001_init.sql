-- desk: the staff's accounts, their sessions and the record of what each of them did.
CREATE TABLE desk.accounts (
    username             text PRIMARY KEY,
    full_name            text NOT NULL,
    role                 text NOT NULL,
    department           text,      -- an agency's officer (or an agency's counter officer)
    post_office          text,      -- a post-office clerk
    center               text,      -- a counter officer of a one-stop center
    active               boolean NOT NULL DEFAULT true,
    password_hash        text NOT NULL,  -- argon2id
    must_change_password boolean NOT NULL DEFAULT true,
    failed_attempts      integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    created_by           text NOT NULL
);

-- A session is known by the SHA-256 of its cookie's random id: a copy of the table opens
-- nobody's session.
CREATE TABLE desk.sessions (
    id_hash     text PRIMARY KEY,
    username    text NOT NULL REFERENCES desk.accounts (username),
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_username ON desk.sessions (username);

-- Who did what and when: every sign-in (refused ones too) and every action taken in the desk.
CREATE TABLE desk.audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text NOT NULL,
    action    text NOT NULL,
    subject   text,   -- a dossier code, an account: never a citizen's personal data
    outcome   text NOT NULL
);
CREATE INDEX audit_username_at ON desk.audit (username, at);
