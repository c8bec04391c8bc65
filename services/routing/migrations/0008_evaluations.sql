-- routing: evaluations by Decree 118/2025 art. 31-33 and the officers' anonymous feedback.
--
-- The applicant evaluates a dossier once, on the nine items of art. 33(1), whatever final
-- status it reached; the evaluation is attributed to the officers who handled it. The
-- ratings asked before (4 criteria and an overall level, returned dossiers only) become
-- evaluations: their criteria answer the items they asked (time -> time, contacts ->
-- contacts, attitude -> attitude, result -> result_and_costs), the other items stay
-- unanswered, and their overall level is kept in `overall`, which nothing else fills.
CREATE TABLE routing.evaluations (
    dossier_code  text PRIMARY KEY REFERENCES routing.dossiers (code),
    department    text NOT NULL,
    answers       jsonb NOT NULL,
    comment       text,
    officers      text[] NOT NULL,
    overall       text,
    evaluated_at  timestamptz NOT NULL
);
CREATE INDEX evaluations_at ON routing.evaluations (evaluated_at);

INSERT INTO routing.evaluations (dossier_code, department, answers, comment, officers, overall,
                                 evaluated_at)
SELECT dossier_code, department,
       jsonb_strip_nulls(jsonb_build_object(
           'time', criteria ->> 'time', 'contacts', criteria ->> 'contacts',
           'attitude', criteria ->> 'attitude', 'result_and_costs', criteria ->> 'result')),
       comment, officers, overall, rated_at
  FROM routing.ratings;
DROP TABLE routing.ratings;

-- One visit at a counter, evaluated on the electronic device there (art. 31(1)(b)): the
-- officer who served, signed in at that counter.
CREATE TABLE routing.counter_evaluations (
    id            bigserial PRIMARY KEY,
    officer       text NOT NULL,
    department    text NOT NULL,
    level         text NOT NULL,
    comment       text,
    dossier_code  text REFERENCES routing.dossiers (code),
    evaluated_at  timestamptz NOT NULL
);
CREATE INDEX counter_evaluations_at ON routing.counter_evaluations (evaluated_at);

-- The officers' feedback (seed 002 item 7): nothing that could lead back to who gave it. No
-- account, department or time of day; only the month it counts in. Each answer rewrites its
-- month's rows under new random keys (store.add_staff_feedback), so neither their order nor
-- the transaction that wrote them tells when one came.
CREATE TABLE routing.staff_feedback (
    id          uuid PRIMARY KEY,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    answers     jsonb NOT NULL,
    suggestion  text
);
CREATE INDEX staff_feedback_month ON routing.staff_feedback (month);
