-- The checks of lookup secrets, counted for every desk process at once (a token bucket per
-- client address and per dossier code, each keyed by a hash: no address or code in clear).
CREATE TABLE desk.secret_check_buckets (
    key         text PRIMARY KEY,
    tokens      double precision NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secret_check_buckets_updated_at ON desk.secret_check_buckets (updated_at);
