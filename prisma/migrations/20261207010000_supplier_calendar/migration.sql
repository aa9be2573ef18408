-- The working-day calendar a supplier works by (its holidays count for its deadlines, e.g. the
-- production monitoring booking cutoff). Suppliers registered before it work by China's.
ALTER TABLE "SupplierProfile" ADD COLUMN "calendar" TEXT NOT NULL DEFAULT 'CN';
