-- The email outbox is sent by the mail relay, not by activities: rows carry their deployment's queue,
-- a back-off instant, the relay's claim and the last error.
ALTER TABLE "EmailOutbox" ADD COLUMN "queue" TEXT;
ALTER TABLE "EmailOutbox" ADD COLUMN "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "EmailOutbox" ADD COLUMN "claimedAt" TIMESTAMP(3);
ALTER TABLE "EmailOutbox" ADD COLUMN "lastError" TEXT;
-- Insertion order (existing rows are numbered as the table is read): a recipient's messages go out in it.
ALTER TABLE "EmailOutbox" ADD COLUMN "seq" BIGSERIAL NOT NULL;

-- Rows written before the relay existed belong to the default deployment, whose relay sends any still pending.
UPDATE "EmailOutbox" SET "queue" = 'tradeguard' WHERE "queue" IS NULL;
ALTER TABLE "EmailOutbox" ALTER COLUMN "queue" SET NOT NULL;

-- CreateIndex
CREATE INDEX "EmailOutbox_queue_status_nextAttemptAt_idx" ON "EmailOutbox"("queue", "status", "nextAttemptAt");
