-- The order as its workflow held it at the row's revision: an action's answer is read from here
-- instead of asking the workflow again.
ALTER TABLE "Order" ADD COLUMN "view" JSONB;
