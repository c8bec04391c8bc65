-- What payment tells of a dossier's bills (payment.requested, payment.settled) and routing of
-- its result (dossier.result_ready): DanhSachLePhi, the fees-due status and
-- DanhSachGiayToKetQua. Kept by dossier code, so an event arriving before dossier.received
-- is not lost.
CREATE TABLE nationalportal.fees (
    bill_id      text PRIMARY KEY,
    code         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    amount       bigint NOT NULL DEFAULT 0,
    paid         bigint NOT NULL DEFAULT 0,
    settled_at   timestamptz
);
CREATE INDEX fees_code ON nationalportal.fees (code);
CREATE TABLE nationalportal.results (
    code         text PRIMARY KEY,
    reference    text NOT NULL,
    ready_at     timestamptz NOT NULL,
    releasable   boolean NOT NULL
);
