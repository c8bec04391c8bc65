-- A result handed over at the counter (the hand-over slip): when, by which officer, to whom
-- (the applicant or the person it authorised) and on which identity paper, whose number is
-- kept masked to its last three characters, as the events carry a citizen ID: the slip never
-- prints it whole.
CREATE TABLE routing.result_handovers (
    dossier_code   text PRIMARY KEY REFERENCES routing.dossiers (code),
    handed_at      timestamptz NOT NULL,
    handed_by      text NOT NULL,
    receiver_name  text,            -- NULL: the applicant, whose name routing did not keep
    relation       text NOT NULL,   -- applicant | authorised
    id_type        text,            -- citizen_id | passport | other; NULL when not recorded
    id_number      text             -- masked
);
