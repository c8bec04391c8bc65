-- The dossiers intake received (dossier.received): the agency and month they count in for the
-- digitisation shares, and routing's proof of the citizen's lookup secret, which lets the
-- citizen download the electronic result. Nothing else of the applicant is kept here.
CREATE TABLE docstore.dossiers (
    code          text PRIMARY KEY,
    department    text NOT NULL,
    center        text,
    channel       text NOT NULL,
    received_at   timestamptz NOT NULL,
    lookup_proof  text NOT NULL
);
CREATE INDEX dossiers_received ON docstore.dossiers (received_at);
