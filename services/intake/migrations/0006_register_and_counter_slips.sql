-- intake: the dossier register (Sổ theo dõi hồ sơ, Mẫu 07) and the slips a counter prints
-- instead of a receipt (Mẫu 02, guidance to complete an incomplete dossier; Mẫu 03, refusal
-- of one not admissible), Circular 03/2025/TT-VPCP.

-- The register: one book per receiving unit (the counter) and day, its entries numbered from
-- 1 in the order dossiers are stored, gap-free. The trigger numbers each dossier in the
-- statement that stores it, whatever that statement is, under the book row's lock.
CREATE TABLE intake.register_books (
    receiving_unit  text NOT NULL,
    day             date NOT NULL,
    last_entry      integer NOT NULL,
    PRIMARY KEY (receiving_unit, day)
);

ALTER TABLE intake.dossiers ADD COLUMN register_day date, ADD COLUMN register_entry integer;
UPDATE intake.dossiers d SET register_day = numbered.day, register_entry = numbered.entry
FROM (SELECT code, (received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day,
             row_number() OVER (PARTITION BY receiving_unit,
                                (received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                                ORDER BY received_at, code) AS entry
      FROM intake.dossiers) numbered
WHERE numbered.code = d.code;
INSERT INTO intake.register_books (receiving_unit, day, last_entry)
SELECT receiving_unit, register_day, max(register_entry) FROM intake.dossiers
GROUP BY receiving_unit, register_day;

CREATE FUNCTION intake.enter_in_register() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.register_day := (NEW.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date;
    INSERT INTO intake.register_books AS book (receiving_unit, day, last_entry)
    VALUES (NEW.receiving_unit, NEW.register_day, 1)
    ON CONFLICT (receiving_unit, day) DO UPDATE SET last_entry = book.last_entry + 1
    RETURNING last_entry INTO NEW.register_entry;
    RETURN NEW;
END;
$$;
CREATE TRIGGER dossiers_enter_in_register BEFORE INSERT ON intake.dossiers
    FOR EACH ROW EXECUTE FUNCTION intake.enter_in_register();

ALTER TABLE intake.dossiers ALTER COLUMN register_day SET NOT NULL,
                            ALTER COLUMN register_entry SET NOT NULL;
CREATE UNIQUE INDEX dossiers_register ON intake.dossiers (register_day, receiving_unit,
                                                          register_entry);

-- A slip given at the counter instead of a receipt, as printed (`slip`): who issued it, when,
-- to whom, for which procedure, and what was missing (guidance) or why the dossier is not
-- admissible (refusal). Numbered per receiving unit, kind and year.
CREATE TABLE intake.counter_slips (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('guidance', 'refusal')),
    number          text NOT NULL,
    receiving_unit  text NOT NULL,
    department      text NOT NULL,
    procedure_code  text NOT NULL REFERENCES intake.procedures (code),
    issued_at       timestamptz NOT NULL,
    issued_by       text NOT NULL,
    slip            jsonb NOT NULL
);
CREATE INDEX counter_slips_numbering ON intake.counter_slips (receiving_unit, kind, issued_at);
CREATE INDEX counter_slips_department ON intake.counter_slips (department, issued_at);
