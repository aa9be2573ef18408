-- Rate limits shared by every API replica: one token bucket per API key, taken from by a single
-- upsert per request (api/limits.ts), so N replicas together allow the documented limit, not N times it.
CREATE TABLE "RateLimitBucket" (
    "keyId" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "refilledAt" TIMESTAMPTZ(6) NOT NULL,
    "allowed" BOOLEAN NOT NULL,

    CONSTRAINT "RateLimitBucket_pkey" PRIMARY KEY ("keyId")
);

-- A deleted key takes its bucket with it.
ALTER TABLE "RateLimitBucket" ADD CONSTRAINT "RateLimitBucket_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;
