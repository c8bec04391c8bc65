-- The officers' inbox (issue #25): what its search needs of dossier.received, kept with the
-- dossier. `search_text` is the code, the applicant's name and phone in lower case without
-- diacritics ("nguyen van an"), so that a name typed either way is found; here dossiers received
-- before have their code only (0010 adds their applicant). Sorted by due date within an agency,
-- the inbox pages through this index.
ALTER TABLE routing.dossiers
    ADD COLUMN applicant_name  text,
    ADD COLUMN applicant_phone text,
    ADD COLUMN search_text     text;
UPDATE routing.dossiers SET search_text = lower(code) WHERE search_text IS NULL;
CREATE INDEX dossiers_inbox ON routing.dossiers (department, due_date, code);
