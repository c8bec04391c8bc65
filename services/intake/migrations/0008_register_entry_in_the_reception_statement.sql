-- intake: the register's entry (Mẫu 07) numbered by the statement that stores the dossier
-- (store.py, NUMBERED_DOSSIER: the book's row after the day's sequence row, the order every
-- reception locks them in) instead of a row trigger: one plpgsql call less per dossier. Only
-- that statement stores dossiers.
DROP TRIGGER dossiers_enter_in_register ON intake.dossiers;
DROP FUNCTION intake.enter_in_register();

-- The scans' trigger runs only for a dossier that names a scan (most name none).
DROP TRIGGER dossiers_record_scans ON intake.dossiers;
CREATE TRIGGER dossiers_record_scans AFTER INSERT ON intake.dossiers
    FOR EACH ROW WHEN (NEW.documents @? '$[*].document_id')
    EXECUTE FUNCTION intake.record_dossier_scans();
