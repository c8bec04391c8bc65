-- intake: online dossiers awaiting their formal reception (Decree 118/2025 art. 17(2)(c)), and
-- the province's calendar overrides, which intake owns.

-- An online dossier as the portal sent it, before it has a code: a counter officer of the
-- competent agency receives it (then `dossier_code`) or asks for corrections, by `receive_by`.
CREATE TABLE intake.submissions (
    id                     uuid PRIMARY KEY,
    procedure_code         text NOT NULL REFERENCES intake.procedures (code),
    department             text NOT NULL,
    status                 text NOT NULL DEFAULT 'awaiting_reception'
                           CHECK (status IN ('awaiting_reception', 'received',
                                             'corrections_requested')),
    submitted_at           timestamptz NOT NULL,
    receive_by             timestamptz NOT NULL,
    request                jsonb NOT NULL,   -- applicant, documents, result delivery
    submitted_by           text NOT NULL,
    decided_at             timestamptz,
    decided_by             text,
    corrections            jsonb,            -- {documents, reason} asked instead of receiving
    dossier_code           text UNIQUE REFERENCES intake.dossiers (code),
    reception_overdue_at   timestamptz,      -- when the watch found it past receive_by
    CHECK ((status = 'received') = (dossier_code IS NOT NULL))
);
CREATE INDEX submissions_awaiting ON intake.submissions (receive_by)
    WHERE status = 'awaiting_reception';
CREATE INDEX submissions_department ON intake.submissions (department, submitted_at);

-- A day that differs from the national calendar: off on a weekday, or worked on a weekend or
-- holiday. The whole set is announced (calendar.changed) at every change.
CREATE TABLE intake.calendar_days (
    day         date PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('day_off', 'working_day')),
    note        text,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL
);

-- The day a paper dossier goes to the agency: the day of reception, or the next working day
-- when received after the hand-over cut-off (art. 18(2)); none for an online dossier.
ALTER TABLE intake.dossiers ADD COLUMN paper_handover_on date;
