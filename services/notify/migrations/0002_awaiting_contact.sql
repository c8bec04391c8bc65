-- notify: events that arrive before their dossier's contact is known. payment.requested comes
-- from payment's handling of dossier.received and can overtake notify's own handling of it;
-- such an event waits here, and dossier.received records its notifications once it brings
-- the contact.
CREATE TABLE notify.awaiting_contact (
    event_id      uuid PRIMARY KEY,
    dossier_code  text NOT NULL,
    envelope      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX awaiting_contact_dossier ON notify.awaiting_contact (dossier_code);
