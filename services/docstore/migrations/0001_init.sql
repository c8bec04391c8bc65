-- docstore: files (content-addressed blobs), documents and their metadata, downloads.

-- The embedded storage backend: a file's bytes by its SHA-256, in chunks of bytea (large
-- objects are not carried by logical replication). The S3 backend keeps none of these rows.
CREATE TABLE docstore.blobs (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE docstore.blob_chunks (
    sha256  text NOT NULL REFERENCES docstore.blobs (sha256) ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);

-- One document: its metadata (Decree 118/2025 art. 19(2)), where it came from and where it
-- is in the pipeline. `source_sha256` is the clean upload; `sha256` the signed PDF/A.
CREATE TABLE docstore.documents (
    id                uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('reception', 'copy', 'result')),
    status            text NOT NULL CHECK (status IN ('awaiting_content', 'processing',
                          'awaiting_signature', 'signed', 'quarantined', 'failed')),
    document_type     text NOT NULL,           -- document-type code (mã loại giấy tờ)
    title             text NOT NULL,
    summary           text,
    owner_id          text,                    -- the owner's identifier (citizen ID, tax code)
    owner_name        text,
    owner_birth_year  integer,
    issued_on         date,
    issuer            text,
    valid_from        date,
    valid_until       date,
    validity_scope    text,
    dossier_code      text,
    catalogue_key     text,                    -- the procedure's required-document key
    department        text,                    -- the agency whose dossier it belongs to
    center            text,
    source            text NOT NULL CHECK (source IN ('scan', 'upload', 'reuse', 'result')),
    reused_from       uuid REFERENCES docstore.documents (id),
    source_sha256     text,
    source_media_type text,
    source_size       bigint,
    sha256            text,
    size              bigint,
    pages             integer,
    digitised_by      text NOT NULL,
    digitised_at      timestamptz NOT NULL DEFAULT now(),
    signer            text,                    -- the signing certificate's subject
    signer_kind       text CHECK (signer_kind IN ('officer', 'agency')),
    signed_at         timestamptz,
    failure           text,
    scan_signature    text,                    -- the virus clamd found (quarantined)
    issued_at         timestamptz,             -- a result: when the citizen was given it
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_dossier ON docstore.documents (dossier_code);
CREATE INDEX documents_owner_type ON docstore.documents (owner_id, document_type)
    WHERE status = 'signed';

-- Every download of a file: who, when, which document, how (no citizen ID).
CREATE TABLE docstore.downloads (
    id           bigserial PRIMARY KEY,
    document_id  uuid NOT NULL REFERENCES docstore.documents (id),
    who          text NOT NULL,
    role         text NOT NULL,
    inline       boolean NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX downloads_document ON docstore.downloads (document_id);
