import type { Db } from '../infra/db';
import { ASSURANCE_FORMULA, availableAssurance, coverageToReserve, grantedAssuranceAmount, isQualification } from '../workflows/assurance.policy';

export interface CoverageRequest {
  orderId: string;
  supplierId: string;
  currency: string;
  /** Coverage the order asks for (its total), minor units. */
  requested: number;
}

export interface CoverageReservationResult {
  covered: number;
  granted: number;
  available: number;
}

/** The supplier's granted amount now: its qualification and completed volume of the formula's window. */
export async function supplierGrantedAmount(db: Pick<Db, 'supplierProfile' | '$queryRaw'>, supplierId: string, currency: string, now: Date) {
  const profile = await db.supplierProfile.findUnique({ where: { supplierId } });
  if (!profile || profile.currency !== currency || !isQualification(profile.qualification)) {
    return { granted: 0, completedVolume: 0, qualification: profile?.qualification ?? 'unverified' };
  }
  const since = new Date(now);
  since.setUTCMonth(since.getUTCMonth() - ASSURANCE_FORMULA.volumeWindowMonths);
  const rows = await db.$queryRaw<{ volume: bigint | null }[]>`
    SELECT SUM("totalAmount") AS volume FROM "Order"
    WHERE "supplierId" = ${supplierId} AND "currency" = ${currency} AND "status" = 'COMPLETED' AND "completedAt" >= ${since}`;
  const completedVolume = Number(rows[0]?.volume ?? 0n);
  return {
    granted: grantedAssuranceAmount({ qualification: profile.qualification, completedVolume }),
    completedVolume,
    qualification: profile.qualification,
  };
}

/** A supplier's Trade Assurance Amount as ops and the supplier read it: granted, reserved by open orders, available. */
export async function supplierAssurance(db: Pick<Db, 'supplierProfile' | '$queryRaw' | 'coverageReservation'>, supplierId: string, now: Date) {
  const profile = await db.supplierProfile.findUnique({ where: { supplierId } });
  if (!profile) return undefined;
  const { granted, completedVolume } = await supplierGrantedAmount(db, supplierId, profile.currency, now);
  const reserved = await db.coverageReservation.aggregate({
    where: { supplierId, currency: profile.currency, status: 'reserved' },
    _sum: { amount: true },
  });
  const reservedAmount = Number(reserved._sum.amount ?? 0n);
  return {
    supplierId,
    qualification: profile.qualification,
    currency: profile.currency,
    calendar: profile.calendar,
    completedVolume,
    granted,
    reserved: reservedAmount,
    available: availableAssurance(granted, reservedAmount),
  };
}

export interface SupplierProfileInput {
  qualification: string;
  currency: string;
  calendar?: string;
}

/**
 * Sets a supplier's Trade Assurance profile. Its settlement currency changes only while no open
 * order holds coverage in another: a reservation counts against the grant in its own currency, and
 * a grant in a new currency would not see it, so the supplier would have its grant covered twice.
 * Taken under the supplier's coverage lock, as reservations are. Answers the refusal, if any.
 */
export async function setSupplierProfile(db: Db, supplierId: string, profile: SupplierProfileInput): Promise<{ refused?: string }> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`coverage:${supplierId}`}))`;
    const held = await tx.$queryRaw<{ currency: string; orders: bigint; amount: bigint }[]>`
      SELECT "currency", COUNT(*) AS "orders", SUM("amount") AS "amount" FROM "CoverageReservation"
      WHERE "supplierId" = ${supplierId} AND "status" = 'reserved' AND "amount" > 0 AND "currency" <> ${profile.currency}
      GROUP BY "currency" ORDER BY "currency"`;
    if (held.length > 0) {
      const holding = held.map((h) => `${h.orders} holding ${h.amount} ${h.currency} minor units`).join(', ');
      return {
        refused: `cannot change supplier ${supplierId}'s settlement currency to ${profile.currency}: open orders hold its coverage in another currency (${holding}); change it once they complete, settle or are cancelled`,
      };
    }
    await tx.supplierProfile.upsert({ where: { supplierId }, create: { supplierId, ...profile }, update: { ...profile, updatedAt: new Date() } });
    return {};
  });
}

export function createCoverageActivities({ db }: { db: Db }) {
  return {
    /**
     * Reserves the order's coverage against the supplier's available amount (granted − reserved by
     * open orders), capped there. One reservation per order: a retry returns the first result.
     * A per-supplier advisory lock serialises concurrent confirmations, so they never over-reserve.
     */
    async reserveCoverage(req: CoverageRequest): Promise<CoverageReservationResult> {
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`coverage:${req.supplierId}`}))`;
        const existing = await tx.coverageReservation.findUnique({ where: { orderId: req.orderId } });
        const { granted } = await supplierGrantedAmount(tx, req.supplierId, req.currency, new Date());
        const reservedRows = await tx.$queryRaw<{ reserved: bigint | null }[]>`
          SELECT SUM("amount") AS reserved FROM "CoverageReservation"
          WHERE "supplierId" = ${req.supplierId} AND "currency" = ${req.currency} AND "status" = 'reserved' AND "orderId" <> ${req.orderId}`;
        const reservedByOthers = Number(reservedRows[0]?.reserved ?? 0n);
        if (existing) {
          return { covered: Number(existing.amount), granted: Number(existing.granted), available: availableAssurance(granted, reservedByOthers) };
        }
        const covered = coverageToReserve(req.requested, granted, reservedByOthers);
        await tx.coverageReservation.create({
          data: {
            orderId: req.orderId,
            supplierId: req.supplierId,
            currency: req.currency,
            requested: BigInt(req.requested),
            amount: BigInt(covered),
            granted: BigInt(granted),
            status: 'reserved',
          },
        });
        return { covered, granted, available: availableAssurance(granted, reservedByOthers) };
      });
    },

    /** Gives the order's coverage back to the supplier's available amount (idempotent). */
    async releaseCoverage({ orderId }: { orderId: string }): Promise<void> {
      await db.coverageReservation.updateMany({
        where: { orderId, status: 'reserved' },
        data: { status: 'released', releasedAt: new Date() },
      });
    },
  };
}
