/**
 * After-service windows that open at payment and delivery (seed 004). One rule in one place: the
 * order workflow asks these functions whether a change or cancellation is accepted automatically.
 * Pure module.
 */
export interface AfterServicePolicy {
  version: string;
  /** Change or cancel within this many hours after payment: accepted automatically. */
  changeCancelWindowHours: number;
}

export const AFTER_SERVICE_POLICIES: Readonly<Record<string, AfterServicePolicy>> = {
  '2026-11': { version: '2026-11', changeCancelWindowHours: 24 },
};

export function afterServicePolicy(version: string): AfterServicePolicy {
  const policy = Object.prototype.hasOwnProperty.call(AFTER_SERVICE_POLICIES, version)
    ? AFTER_SERVICE_POLICIES[version]
    : undefined;
  if (!policy) throw new Error(`unknown after-service policy version ${version}`);
  return policy;
}

/** When the automatic change/cancel window after a payment closes (epoch ms). */
export function changeCancelWindowClosesAt(policy: AfterServicePolicy, paidAt: number): number {
  return paidAt + policy.changeCancelWindowHours * 3_600_000;
}
