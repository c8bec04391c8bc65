-- What DVCQG shows of an online dossier before its formal reception, when it has no motcua
-- code yet: 1 (mới đăng ký) once intake registered it, 3 (không được tiếp nhận) when the
-- officer asked for corrections instead of receiving it. Named by intake's submission and
-- sent under the portal's id (inbound.portal_id); one row per submission and status, so a
-- redelivered event or a repeated hand-over adds none. The dossier itself, once received,
-- waits until these are acknowledged: the portal sees them first.
CREATE TABLE nationalportal.reception_steps (
    id               bigserial PRIMARY KEY,
    submission_id    uuid NOT NULL,
    status_code      text NOT NULL CHECK (status_code IN ('1', '3')),
    at               timestamptz NOT NULL,
    facts            jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'acknowledged', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    UNIQUE (submission_id, status_code)
);
CREATE INDEX reception_steps_open ON nationalportal.reception_steps (submission_id)
    WHERE state IN ('pending', 'sent');
