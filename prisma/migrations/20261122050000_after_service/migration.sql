-- CreateTable
CREATE TABLE "Shipment" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "buyerId" TEXT,
    "supplierId" TEXT,
    "carrier" TEXT NOT NULL,
    "trackingNumber" TEXT NOT NULL,
    "shippedAt" TIMESTAMP(3) NOT NULL,
    "deliveredAt" TIMESTAMP(3),
    "inFlight" BOOLEAN NOT NULL DEFAULT true,
    "lastStatus" TEXT,
    "lastEventAt" TIMESTAMP(3),
    "lastCheckedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Shipment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ManualOrder" (
    "id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "customerName" TEXT NOT NULL,
    "customerEmail" TEXT NOT NULL,
    "buyerId" TEXT,
    "address" JSONB NOT NULL,
    "items" JSONB NOT NULL,
    "currency" TEXT NOT NULL,
    "totalAmount" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "policyVersion" TEXT NOT NULL,
    "paidAt" TIMESTAMP(3) NOT NULL,
    "shippedAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ManualOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AfterServiceCase" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "orderSource" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "buyerId" TEXT,
    "supplierId" TEXT,
    "proactive" BOOLEAN NOT NULL DEFAULT false,
    "problem" TEXT,
    "resolution" TEXT,
    "currency" TEXT,
    "refundedAmount" BIGINT NOT NULL DEFAULT 0,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "firstReplyDueAt" TIMESTAMP(3) NOT NULL,
    "firstRepliedAt" TIMESTAMP(3),
    "nextDeadlineAt" TIMESTAMP(3),
    "policyVersion" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AfterServiceCase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseEvent" (
    "id" BIGSERIAL NOT NULL,
    "caseId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "actorRole" TEXT NOT NULL,
    "actorId" TEXT,
    "summary" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CaseEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AfterServiceReport" (
    "weekStart" DATE NOT NULL,
    "figures" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AfterServiceReport_pkey" PRIMARY KEY ("weekStart")
);

-- CreateIndex
CREATE INDEX "Shipment_inFlight_id_idx" ON "Shipment"("inFlight", "id");

-- CreateIndex
CREATE INDEX "Shipment_orderId_idx" ON "Shipment"("orderId");

-- CreateIndex
CREATE INDEX "Shipment_shippedAt_idx" ON "Shipment"("shippedAt");

-- CreateIndex
CREATE INDEX "ManualOrder_status_idx" ON "ManualOrder"("status");

-- CreateIndex
CREATE INDEX "AfterServiceCase_orderId_idx" ON "AfterServiceCase"("orderId");

-- CreateIndex
CREATE INDEX "AfterServiceCase_status_idx" ON "AfterServiceCase"("status");

-- CreateIndex
CREATE INDEX "AfterServiceCase_openedAt_idx" ON "AfterServiceCase"("openedAt");

-- CreateIndex
CREATE INDEX "AfterServiceCase_late_idx" ON "AfterServiceCase"("late");

-- CreateIndex
CREATE INDEX "AfterServiceCase_nextDeadlineAt_idx" ON "AfterServiceCase"("nextDeadlineAt");

-- CreateIndex
CREATE UNIQUE INDEX "CaseEvent_caseId_seq_key" ON "CaseEvent"("caseId", "seq");

-- AlterTable
ALTER TABLE "Order" ADD COLUMN "paidAt" TIMESTAMP(3),
ADD COLUMN "shippedAt" TIMESTAMP(3),
ADD COLUMN "deliveredAt" TIMESTAMP(3);
