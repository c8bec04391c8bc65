-- routing: the lookup secret is checked against a proof keyed with LOOKUP_PEPPER
-- (`hmac-sha256$<salt>$<mac>`, dossier.received version 2). Rows received before keep the
-- unsalted sha256 of `<code>:<secret>` they hold: it cannot become a proof without the
-- secret, so it is kept, and checked the old way, under the column's new name.
ALTER TABLE routing.dossiers RENAME COLUMN lookup_secret_hash TO lookup_proof;
