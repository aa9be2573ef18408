/**
 * What every TradeGuard process shares with the API: who acts, the failure types the API maps to
 * HTTP statuses, the search attributes every process keeps, and units of time. A leaf module: it
 * imports nothing of TradeGuard's.
 */
import { defineSearchAttributeKey } from '@temporalio/common';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export type ActorRole = 'ops' | 'support' | 'buyer' | 'supplier' | 'inspector' | 'system';

/** Who asked for an action: the API fills it from the caller's API key, never from the request body. */
export interface Actor {
  role: ActorRole;
  partyId?: string;
  keyId?: string;
}

/** Failure types the API maps to HTTP statuses: an action the state does not allow (409), a caller who may not take it (403). */
export const ACTION_REFUSED = 'ActionRefused';
/** An evidence file the claim already holds from the same party: the repeat is answered as the first was, and adds nothing. */
export const EVIDENCE_HELD = 'EvidenceHeld';
export const ACTOR_NOT_ALLOWED = 'ActorNotAllowed';
/** A card the gateway declined (402), and a card processor that kept failing, so nothing was charged (503). */
export const PAYMENT_DECLINED = 'PaymentDeclined';
export const PAYMENT_UNAVAILABLE = 'PaymentUnavailable';
/** The card processor never answered a charge: it may have been taken, and only the same charge asked again can tell. */
export const PAYMENT_OUTCOME_UNKNOWN = 'PaymentOutcomeUnknown';

/** Typed search attributes every process keeps up to date, so ops can list them in Temporal. */
export const SA_STATUS = defineSearchAttributeKey('TradeGuardStatus', 'KEYWORD');
export const SA_BUYER = defineSearchAttributeKey('TradeGuardBuyer', 'KEYWORD');
export const SA_SUPPLIER = defineSearchAttributeKey('TradeGuardSupplier', 'KEYWORD');
export const SA_NEXT_DEADLINE = defineSearchAttributeKey('TradeGuardNextDeadline', 'DATETIME');

/** For `temporal server start-dev --search-attribute` and `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTES = {
  TradeGuardStatus: 'Keyword',
  TradeGuardBuyer: 'Keyword',
  TradeGuardSupplier: 'Keyword',
  TradeGuardNextDeadline: 'Datetime',
} as const;
