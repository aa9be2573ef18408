-- AlterTable
ALTER TABLE "Order" ADD COLUMN "coveredAmount" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "refundedAmount" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "nextDeadlineAt" TIMESTAMP(3),
ADD COLUMN "completedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "SupplierProfile" (
    "supplierId" TEXT NOT NULL,
    "qualification" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupplierProfile_pkey" PRIMARY KEY ("supplierId")
);

-- CreateTable
CREATE TABLE "CoverageReservation" (
    "orderId" TEXT NOT NULL,
    "supplierId" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "requested" BIGINT NOT NULL,
    "amount" BIGINT NOT NULL,
    "granted" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMP(3),

    CONSTRAINT "CoverageReservation_pkey" PRIMARY KEY ("orderId")
);

-- CreateIndex
CREATE INDEX "CoverageReservation_supplierId_status_idx" ON "CoverageReservation"("supplierId", "status");

-- CreateIndex
CREATE INDEX "Order_nextDeadlineAt_idx" ON "Order"("nextDeadlineAt");
