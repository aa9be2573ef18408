-- A deadline counted on provisional calendar data says so in the read model too, so a resource's
-- deadlines can be read from it instead of from the workflow.
ALTER TABLE "OpenDeadline" ADD COLUMN "provisional" BOOLEAN NOT NULL DEFAULT false;
