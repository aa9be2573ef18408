import { CASE_CODE_REVISION, CaseInput, CaseOrderFacts } from '../../workflows/case.messages';
import { CURRENT_AFTER_SERVICE_POLICY_VERSION } from '../../workflows/after-service.policy';
import type { CaseType } from '../../workflows/after-service.policy';

/** A case on the sample order (7,000.00 USD paid), opened by its buyer. */
export function sampleCaseInput(caseId: string, type: CaseType, facts: CaseOrderFacts, overrides: Partial<CaseInput> = {}): CaseInput {
  return {
    caseId,
    type,
    order: { source: 'order', orderId: 'PO-1', buyerId: 'buyer-1', supplierId: 'supplier-1', currency: 'USD', paidAmount: 700_000 },
    facts,
    description: 'three speakers arrived with cracked grilles',
    policyVersion: CURRENT_AFTER_SERVICE_POLICY_VERSION,
    openedBy: { role: 'buyer', partyId: 'buyer-1' },
    codeRevision: CASE_CODE_REVISION,
    ...overrides,
  };
}
