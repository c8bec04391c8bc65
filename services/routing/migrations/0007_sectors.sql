-- routing: the lĩnh vực (sector) of each dossier's procedure, as dossier.received version 4
-- carries it, so that the statutory report (Biểu 06) can be grouped by it. Dossiers received
-- before have none (NULL): their events did not say.
ALTER TABLE routing.dossiers ADD COLUMN sector_code text, ADD COLUMN sector_name text;
UPDATE routing.dossiers
   SET sector_code = procedure->>'sector_code', sector_name = procedure->>'sector_name'
 WHERE procedure ? 'sector_code';
CREATE INDEX dossiers_sector ON routing.dossiers (sector_code, received_at);
