-- intake: the day's number XXXX of a dossier code has four digits. Enforced by the database so
-- that numbering, the dossier, its receipt and its event can be one statement (the number's
-- row is locked only while that statement runs).
ALTER TABLE intake.daily_sequences
    ADD CONSTRAINT daily_sequences_four_digits CHECK (last_number <= 9999);
