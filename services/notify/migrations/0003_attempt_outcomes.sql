-- notify: an attempt is recorded before it is made. `sending`: claimed and being handed to
-- the gateway until next_attempt_at (the lease); `unknown`: the lease ended with no outcome
-- recorded (the sender died, or lost its database or the gateway's answer), and the gateway's
-- own report may still settle it until next_attempt_at (the acceptance window), after which
-- it is `pending` again.
ALTER TABLE notify.notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notify.notifications ADD CONSTRAINT notifications_status_check CHECK (status IN
    ('pending', 'sending', 'unknown', 'sent', 'delivered', 'failed', 'expired', 'opted_out'));
CREATE INDEX notifications_in_doubt ON notify.notifications (next_attempt_at)
    WHERE status IN ('sending', 'unknown');
