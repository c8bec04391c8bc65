-- Two-phase signing by a remote service (DOCSTORE_SIGNER=external): the worker reserves the
-- signature in the PDF/A and keeps here what the second phase needs while the document is
-- `awaiting_signature`; the signer's value comes back through the HTTP API and the worker
-- embeds it. `prepared_sha256` names the prepared file in the storage.
CREATE TABLE docstore.signing_requests (
    document_id      uuid PRIMARY KEY REFERENCES docstore.documents (id),
    signer_kind      text NOT NULL CHECK (signer_kind IN ('officer', 'agency')),
    certificate      text NOT NULL,    -- the subject of the certificate to sign with
    prepared_sha256  text NOT NULL,
    state            jsonb NOT NULL,   -- the document digest, the reserved byte range, the
                                       -- CMS signed attributes (hex)
    to_sign          bytea NOT NULL,   -- the signed attributes' DER: what the signer signs
    requested_at     timestamptz NOT NULL DEFAULT now(),
    signature        bytea,            -- the value sent back, until the worker embeds it
    received_at      timestamptz,
    refused          text              -- why the last value sent back did not verify
);
