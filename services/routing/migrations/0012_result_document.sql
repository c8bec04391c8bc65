-- The signed electronic result `complete` names (docstore's document id), carried by
-- dossier.result_ready so that docstore issues it to the citizen; none for a paper result.
ALTER TABLE routing.dossiers ADD COLUMN result_document_id uuid;
