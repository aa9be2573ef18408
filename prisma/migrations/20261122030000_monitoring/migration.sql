-- CreateTable
CREATE TABLE "MonitoringTask" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "buyerId" TEXT NOT NULL,
    "supplierId" TEXT NOT NULL,
    "addedVia" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "feeAmount" BIGINT NOT NULL,
    "paidAmount" BIGINT NOT NULL,
    "refundedAmount" BIGINT NOT NULL,
    "shipmentDate" TIMESTAMP(3) NOT NULL,
    "bookingCutoffAt" TIMESTAMP(3) NOT NULL,
    "result" TEXT,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "nextDeadlineAt" TIMESTAMP(3),
    "policyVersion" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MonitoringTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MonitoringEvent" (
    "id" BIGSERIAL NOT NULL,
    "monitoringId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "actorId" TEXT,
    "summary" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MonitoringEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MonitoringTask_orderId_idx" ON "MonitoringTask"("orderId");

-- CreateIndex
CREATE INDEX "MonitoringTask_status_idx" ON "MonitoringTask"("status");

-- CreateIndex
CREATE INDEX "MonitoringTask_late_idx" ON "MonitoringTask"("late");

-- CreateIndex
CREATE INDEX "MonitoringTask_nextDeadlineAt_idx" ON "MonitoringTask"("nextDeadlineAt");

-- CreateIndex
CREATE UNIQUE INDEX "MonitoringEvent_monitoringId_seq_key" ON "MonitoringEvent"("monitoringId", "seq");
