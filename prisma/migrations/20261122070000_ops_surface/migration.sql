-- AlterTable
ALTER TABLE "MonitoringTask" ADD COLUMN "inspectorId" TEXT;

-- AlterTable
ALTER TABLE "AfterServiceCase" ADD COLUMN "description" TEXT;

-- CreateTable
CREATE TABLE "OpenDeadline" (
    "id" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "deadlineId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "rule" TEXT NOT NULL,
    "policyVersion" TEXT NOT NULL,
    "onExpiry" TEXT NOT NULL,
    "claimId" TEXT,
    "buyerId" TEXT,
    "supplierId" TEXT,
    "inspectorId" TEXT,
    "reminderSent" BOOLEAN NOT NULL DEFAULT false,
    "revision" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OpenDeadline_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LateTask" (
    "id" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "mustAct" TEXT NOT NULL,
    "since" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "assignee" TEXT,
    "acknowledgedAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "resolution" TEXT,
    "resolvedBy" TEXT,
    "claimId" TEXT,
    "buyerId" TEXT,
    "supplierId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LateTask_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MonitoringTask_inspectorId_idx" ON "MonitoringTask"("inspectorId");

-- CreateIndex
CREATE INDEX "Order_updatedAt_id_idx" ON "Order"("updatedAt", "id");

-- CreateIndex
CREATE INDEX "MonitoringTask_updatedAt_id_idx" ON "MonitoringTask"("updatedAt", "id");

-- CreateIndex
CREATE INDEX "AfterServiceCase_updatedAt_id_idx" ON "AfterServiceCase"("updatedAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_dueAt_id_idx" ON "OpenDeadline"("dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_resource_dueAt_id_idx" ON "OpenDeadline"("resource", "dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_kind_dueAt_id_idx" ON "OpenDeadline"("kind", "dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_buyerId_dueAt_id_idx" ON "OpenDeadline"("buyerId", "dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_supplierId_dueAt_id_idx" ON "OpenDeadline"("supplierId", "dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_inspectorId_dueAt_id_idx" ON "OpenDeadline"("inspectorId", "dueAt", "id");

-- CreateIndex
CREATE INDEX "OpenDeadline_resource_resourceId_idx" ON "OpenDeadline"("resource", "resourceId");

-- CreateIndex
CREATE INDEX "LateTask_status_since_id_idx" ON "LateTask"("status", "since", "id");

-- CreateIndex
CREATE INDEX "LateTask_since_id_idx" ON "LateTask"("since", "id");

-- CreateIndex
CREATE INDEX "LateTask_kind_status_idx" ON "LateTask"("kind", "status");

-- CreateIndex
CREATE INDEX "LateTask_assignee_status_idx" ON "LateTask"("assignee", "status");

-- CreateIndex
CREATE INDEX "LateTask_resource_resourceId_status_idx" ON "LateTask"("resource", "resourceId", "status");

-- Search (GET /search): case-insensitive prefix matching of ids and party ids. pg_trgm is not
-- assumed; lower(x) LIKE 'prefix%' uses these btree indexes whatever the database's collation
-- (text_pattern_ops compares bytes, as LIKE needs). Not expressible in schema.prisma.
CREATE INDEX "Order_search_id_idx" ON "Order"(lower("id") text_pattern_ops);
CREATE INDEX "Order_search_buyerId_idx" ON "Order"(lower("buyerId") text_pattern_ops);
CREATE INDEX "Order_search_supplierId_idx" ON "Order"(lower("supplierId") text_pattern_ops);
CREATE INDEX "MonitoringTask_search_id_idx" ON "MonitoringTask"(lower("id") text_pattern_ops);
CREATE INDEX "MonitoringTask_search_buyerId_idx" ON "MonitoringTask"(lower("buyerId") text_pattern_ops);
CREATE INDEX "MonitoringTask_search_supplierId_idx" ON "MonitoringTask"(lower("supplierId") text_pattern_ops);
CREATE INDEX "AfterServiceCase_search_id_idx" ON "AfterServiceCase"(lower("id") text_pattern_ops);
CREATE INDEX "AfterServiceCase_search_buyerId_idx" ON "AfterServiceCase"(lower("buyerId") text_pattern_ops);
CREATE INDEX "AfterServiceCase_search_supplierId_idx" ON "AfterServiceCase"(lower("supplierId") text_pattern_ops);
