-- API keys can be managed through the API: a key may expire (a rotated key keeps working until the
-- end of its overlap), remembers the key it replaced, and which key revoked it.
ALTER TABLE "ApiKey" ADD COLUMN "expiresAt" TIMESTAMP(3);
ALTER TABLE "ApiKey" ADD COLUMN "rotatedFromId" TEXT;
ALTER TABLE "ApiKey" ADD COLUMN "revokedBy" TEXT;

-- Listing a party's keys.
CREATE INDEX "ApiKey_partyId_idx" ON "ApiKey"("partyId");
