-- The monitoring task as its workflow held it at the row's revision: an action's answer is read from
-- here instead of asking the workflow again.
ALTER TABLE "MonitoringTask" ADD COLUMN "view" JSONB;
