-- routing: work inside the lead agency. The officer (chuyên viên) a dossier is assigned to,
-- the results officers propose and their leaders (lãnh đạo) approve or send back, and every
-- hand-over between people and processing units (what Mẫu 06 prints).
ALTER TABLE routing.dossiers
    ADD COLUMN officer           text,
    ADD COLUMN officer_since     timestamptz,
    ADD COLUMN officer_due_date  date;
CREATE INDEX dossiers_officer ON routing.dossiers (department, officer, due_date)
    WHERE officer IS NOT NULL;

CREATE TABLE routing.proposals (
    id                bigserial PRIMARY KEY,
    dossier_code      text NOT NULL REFERENCES routing.dossiers (code),
    result_reference  text NOT NULL,
    note              text,
    proposed_at       timestamptz NOT NULL,
    proposed_by       text NOT NULL,
    decision          text CHECK (decision IN ('approved', 'sent_back')),
    decided_at        timestamptz,
    decided_by        text,
    reason            text
);
CREATE INDEX proposals_dossier ON routing.proposals (dossier_code, id);

-- One row per hand-over: who gave, who took (a person, or a unit where nobody is named yet),
-- when, at which step, why; and the step the giver ended, judged against its deadline.
CREATE TABLE routing.handovers (
    id            bigserial PRIMARY KEY,
    dossier_code  text NOT NULL REFERENCES routing.dossiers (code),
    at            timestamptz NOT NULL,
    step          text NOT NULL,
    giver         text NOT NULL,
    giver_role    text NOT NULL,
    giver_unit    text,
    taker         text,
    taker_role    text NOT NULL,
    taker_unit    text,
    reason        text,
    due_date      date,
    timing        text CHECK (timing IN ('early', 'on_time', 'late'))
);
CREATE INDEX handovers_dossier ON routing.handovers (dossier_code, id);
