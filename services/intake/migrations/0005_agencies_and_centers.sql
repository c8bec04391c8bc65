-- intake: agencies with their electronic identifiers, the one-stop centers, and dossier codes
-- from the competent agency's identifier (Decree 118/2025 art. 28).

-- An agency's identifier starts the codes of the dossiers it decides (it was the identifier of
-- its counter at the center). Those kept are the agencies' identifiers in the old shape until
-- the catalogue is loaded again.
ALTER TABLE intake.departments RENAME COLUMN receiving_unit TO identifier;
ALTER TABLE intake.departments ADD COLUMN kind text NOT NULL DEFAULT 'provincial_department'
    CHECK (kind IN ('provincial_department', 'commune_committee', 'central_branch'));
ALTER TABLE intake.departments ALTER COLUMN kind DROP DEFAULT;

-- The one-stop units: the provincial center and the commune centers, each with its counters
-- (which agency stationed officers at which counter). The center known so far is kept as the
-- provincial one until the catalogue is loaded again.
CREATE TABLE intake.centers (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'commune')),
    identifier  text NOT NULL UNIQUE,
    counters    jsonb NOT NULL DEFAULT '[]'
);
INSERT INTO intake.centers (code, name, level, identifier)
SELECT 'trung_tam_tinh', name, 'province', code FROM intake.receiving_units WHERE kind = 'center'
 ORDER BY code LIMIT 1;  -- the one reception numbered with
DROP TABLE intake.receiving_units;

-- A commune-level procedure is decided by the commune agency the dossier names: it has no
-- single department.
ALTER TABLE intake.procedures ALTER COLUMN department DROP NOT NULL;

-- The day's sequence is per identifier the codes start with. A dossier keeps the identifier
-- its code was made with (the receiving unit's, for the codes issued so far) and the center
-- that received it (none by post; unknown for those received before).
ALTER TABLE intake.daily_sequences RENAME COLUMN receiving_unit TO identifier;
ALTER TABLE intake.dossiers ADD COLUMN identifier text, ADD COLUMN center text;
UPDATE intake.dossiers SET identifier = receiving_unit;
ALTER TABLE intake.dossiers ALTER COLUMN identifier SET NOT NULL;
