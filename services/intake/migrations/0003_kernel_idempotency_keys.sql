-- Idempotency keys in the kernel's shape (services/common/kernel_tables.sql): the dossier a
-- key created is its answer, {"code": ...}, with status 201. A database made before the
-- kernel's tables has the older shape (a dossier_code column): converted here.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'intake'
               AND table_name = 'idempotency_keys' AND column_name = 'dossier_code') THEN
        ALTER TABLE intake.idempotency_keys ADD COLUMN IF NOT EXISTS status integer,
                                            ADD COLUMN IF NOT EXISTS response jsonb;
        UPDATE intake.idempotency_keys
           SET status = 201, response = jsonb_build_object('code', dossier_code);
        ALTER TABLE intake.idempotency_keys DROP COLUMN dossier_code;
    END IF;
END $$;
