-- A manual order keeps the running total of what was refunded to its customer, so that refunds of
-- several cases (and a cancellation) together never exceed what was paid.
ALTER TABLE "ManualOrder" ADD COLUMN "refundedAmount" BIGINT NOT NULL DEFAULT 0;

-- Refunds posted before the column existed count towards it: the customer's side of each
-- after-service refund in the ledger.
UPDATE "ManualOrder" AS m SET "refundedAmount" = r."refunded"
FROM (
  SELECT e."account", SUM(e."amount") AS "refunded"
  FROM "LedgerEntry" AS e JOIN "LedgerTransaction" AS t ON t."id" = e."transactionId"
  WHERE t."kind" = 'after_service_refund' AND e."amount" > 0
  GROUP BY e."account"
) AS r
WHERE r."account" = 'customer:manual:' || m."id";
