-- intake: each scan (docstore's document id, documents[].document_id) belongs to one dossier,
-- recorded by the statement that stores the dossier. docstore's RPC check says whether a scan
-- is free, but two receptions checked at once both hear "free": this table's key makes the
-- second one's statement fail, so that dossier is not stored, its number not used, and the
-- officer is told which document is taken.
CREATE TABLE intake.dossier_scans (
    document_id   uuid PRIMARY KEY,
    dossier_code  text NOT NULL REFERENCES intake.dossiers (code)
);

-- The dossiers stored before: the first to name a scan keeps it.
INSERT INTO intake.dossier_scans (document_id, dossier_code)
SELECT (document->>'document_id')::uuid, d.code
FROM intake.dossiers d, jsonb_array_elements(d.documents) AS document
WHERE document->>'document_id' IS NOT NULL
ORDER BY d.received_at, d.code
ON CONFLICT (document_id) DO NOTHING;

-- A scan already taken fails the statement with the constraint `dossier_scans_taken`, the
-- scan's id as DETAIL and the dossier holding it as HINT (the caller names the field).
CREATE FUNCTION intake.record_dossier_scans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scan   uuid;
    holder text;
BEGIN
    FOR scan IN SELECT (document->>'document_id')::uuid
                FROM jsonb_array_elements(NEW.documents) AS document
                WHERE document->>'document_id' IS NOT NULL LOOP
        BEGIN
            INSERT INTO intake.dossier_scans (document_id, dossier_code)
            VALUES (scan, NEW.code);
        EXCEPTION WHEN unique_violation THEN
            SELECT dossier_code INTO holder FROM intake.dossier_scans WHERE document_id = scan;
            RAISE unique_violation USING CONSTRAINT = 'dossier_scans_taken',
                MESSAGE = 'scan already in a dossier', DETAIL = scan::text,
                HINT = coalesce(holder, '');
        END;
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dossiers_record_scans AFTER INSERT ON intake.dossiers
    FOR EACH ROW EXECUTE FUNCTION intake.record_dossier_scans();
