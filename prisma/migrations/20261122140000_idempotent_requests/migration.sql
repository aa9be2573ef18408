-- The first answer to each POST sent with an Idempotency-Key, per caller and key, so that a retry
-- (on any API process) gets that answer instead of acting again. A row is "running" while its first
-- request is under way (held until lockedUntil, which the process keeps moving forward), then "done"
-- with the answer. Rows older than the retention (24 h) are deleted.
CREATE TABLE "IdempotentRequest" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "claimToken" TEXT NOT NULL,
    "lockedUntil" TIMESTAMP(3) NOT NULL,
    "status" INTEGER,
    "contentType" TEXT,
    "location" TEXT,
    "body" TEXT,
    "requestId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "IdempotentRequest_pkey" PRIMARY KEY ("scope", "key")
);

CREATE INDEX "IdempotentRequest_createdAt_idx" ON "IdempotentRequest"("createdAt");
