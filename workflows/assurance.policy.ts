/**
 * Supplier Trade Assurance Amount: what the platform grants a supplier to protect its buyers'
 * payments, from its qualification and its completed volume of the last 6 months (seed 003).
 * The inputs and the formula live here and only here. Pure module.
 */
export type SupplierQualification = 'unverified' | 'verified' | 'gold';

export interface AssuranceInputs {
  qualification: SupplierQualification;
  /** Completed order volume of the last `volumeWindowMonths` months, minor units of the currency. */
  completedVolume: number;
}

export interface AssuranceFormula {
  version: string;
  volumeWindowMonths: number;
  /** Granted = min(cap, base + volumeRate × completed volume), per qualification, minor units. */
  base: Record<SupplierQualification, number>;
  volumeRate: Record<SupplierQualification, number>;
  cap: Record<SupplierQualification, number>;
}

export const ASSURANCE_FORMULA: AssuranceFormula = {
  version: '2026-11',
  volumeWindowMonths: 6,
  base: { unverified: 0, verified: 10_000_00, gold: 50_000_00 },
  volumeRate: { unverified: 0, verified: 0.5, gold: 1 },
  cap: { unverified: 0, verified: 500_000_00, gold: 5_000_000_00 },
};

export function isQualification(value: unknown): value is SupplierQualification {
  return value === 'unverified' || value === 'verified' || value === 'gold';
}

export function grantedAssuranceAmount(inputs: AssuranceInputs, formula: AssuranceFormula = ASSURANCE_FORMULA): number {
  const q = inputs.qualification;
  const volume = Math.max(0, inputs.completedVolume);
  return Math.min(formula.cap[q], formula.base[q] + Math.floor(formula.volumeRate[q] * volume));
}

/** The amount an order can reserve: what it asks, capped at the supplier's available amount. */
export function coverageToReserve(requested: number, granted: number, reservedByOpenOrders: number): number {
  return Math.max(0, Math.min(requested, availableAssurance(granted, reservedByOpenOrders)));
}

/** What is left of a supplier's granted amount for new orders: granted less what open orders reserve, never below 0. */
export function availableAssurance(granted: number, reservedByOpenOrders: number): number {
  return Math.max(0, granted - reservedByOpenOrders);
}
