-- The names public provincial clients use (README.md, "Where each name comes from").

-- Before its formal reception an online dossier's status goes with DongBoTrangThaiHoSo: 1 once
-- registered, 5 when corrections are asked (was 3 with a progress row), 2 once received
-- (with motcua's code). The codes are mapping.py's: no fixed list here.
ALTER TABLE nationalportal.reception_steps DROP CONSTRAINT reception_steps_status_code_check;
UPDATE nationalportal.reception_steps
   SET status_code = '5',
       facts = jsonb_build_object('status', 'corrections_requested', 'at', facts->'at',
                                  'reason', facts->'reason', 'code', NULL)
 WHERE status_code = '3';
UPDATE nationalportal.reception_steps
   SET facts = jsonb_build_object('status', 'awaiting_reception', 'at', facts->'at',
                                  'reason', NULL, 'code', NULL)
 WHERE status_code = '1';

-- HinhThuc is how the result is delivered: dossiers kept before without it were told 0 (in
-- person), as public clients send for a dossier whose applicant did not choose the post.
UPDATE nationalportal.dossiers
   SET facts = facts || '{"result_delivery": "counter"}'::jsonb
 WHERE NOT facts ? 'result_delivery';

-- The evaluations are no longer pushed one by one: the portal takes a monthly summary per
-- procedure (DongBoDanhGia). Each evaluation is kept with what the summary groups it by.
ALTER TABLE nationalportal.ratings ADD COLUMN procedure_code text,
                                   ADD COLUMN evaluated_at timestamptz;
UPDATE nationalportal.ratings r
   SET procedure_code = d.facts->'procedure'->>'code'
  FROM nationalportal.dossiers d WHERE d.code = r.code;
UPDATE nationalportal.ratings SET evaluated_at = (facts->>'evaluated_at')::timestamptz,
                                  procedure_code = COALESCE(procedure_code, '');
ALTER TABLE nationalportal.ratings ALTER COLUMN procedure_code SET NOT NULL,
                                   ALTER COLUMN evaluated_at SET NOT NULL,
                                   DROP COLUMN state, DROP COLUMN last_error,
                                   DROP COLUMN acknowledged_at;
CREATE INDEX ratings_month ON nationalportal.ratings (evaluated_at);

-- One summary per month and procedure, as last computed: a later run replaces it (on the
-- portal too); `version` grows with each change, so a send acknowledges only what it sent.
CREATE TABLE nationalportal.rating_summaries (
    month           date NOT NULL,
    procedure_code  text NOT NULL,
    summary         jsonb NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'acknowledged', 'failed')),
    last_error      text,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (month, procedure_code)
);
