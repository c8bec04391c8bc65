-- routing: the periods of Decree 118/2025 art. 19. A supplement no longer pauses the clock:
-- the period restarts from zero with the complete dossier (its supplement's resubmitted_at),
-- and a dossier not completed by the supplement's last day is closed. The apology letter
-- becomes the extension of Mẫu 04 (once, before the due date). A consultation answered late
-- is flagged.
ALTER TABLE routing.dossiers ADD COLUMN closed_at timestamptz;
ALTER TABLE routing.dossiers RENAME COLUMN paused_since TO awaiting_supplement_since;
ALTER TABLE routing.dossiers DROP COLUMN paused_working_days;

-- The last day to complete: 15 calendar days after the notice (the default setting); for
-- the supplements asked from now on routing also moves a last day that is a day off.
ALTER TABLE routing.supplements ADD COLUMN complete_by date;
UPDATE routing.supplements
   SET complete_by = (requested_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 15;
ALTER TABLE routing.supplements ALTER COLUMN complete_by SET NOT NULL;
ALTER TABLE routing.supplements DROP COLUMN paused_working_days;
CREATE INDEX supplements_awaited ON routing.supplements (complete_by)
    WHERE resubmitted_at IS NULL;

ALTER TABLE routing.apologies RENAME TO extensions;
ALTER INDEX routing.apologies_dossier RENAME TO extensions_dossier;

ALTER TABLE routing.consultations ADD COLUMN late_at timestamptz;
CREATE INDEX consultations_unanswered ON routing.consultations (reply_due_date)
    WHERE replied_at IS NULL AND late_at IS NULL;
