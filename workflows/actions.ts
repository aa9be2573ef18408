/**
 * Which actions a process allows now, and to whom. Each Update's validator is written in two parts:
 * `when`, who may act in which state (the order's buyer, once the order is delivered…), and `check`,
 * the fields of the request (an amount, a date). The `availableActions` query asks the very same
 * `when` of each role, so what the console offers and what an Update accepts cannot disagree.
 * Deterministic; queries add nothing to a workflow's history.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Actor, ActorRole } from './common';

export interface AvailableAction {
  /** The Update's name: pay, markDelivered, decideClaim, assignInspector, resolveCase… */
  update: string;
  /** The claim the action is on, for an order's claim actions (one entry per open claim). */
  claimId?: string;
  /** A named form of the Update whose rule differs (a monitoring task's deselect is its cancel, before the check). */
  variant?: string;
  /** Roles that may take the action now. */
  allowed: ActorRole[];
  /** Why each other role may not, in the validator's own words. */
  refused: Partial<Record<ActorRole, string>>;
}

/** Every process workflow with Updates answers it: its actions and who may take each now. */
export const availableActionsQuery = defineQuery<AvailableAction[]>('availableActions');

/**
 * An Update's validator in its two parts. `when` gets the actor and the request (the query passes
 * only the claim it asks about, so `when` reads nothing else of it); `check` gets the whole request.
 */
export interface Validation<A extends { actor: Actor }> {
  when: (actor: Actor, a: Partial<A>) => void;
  check?: (a: A) => void;
  /** The claims an action is taken on, each asked about separately. */
  claims?: () => string[];
  /** Named forms of the request that `when` reads, each asked about beside the plain action. */
  variants?: { name: string; input: Partial<A> }[];
}

export interface ActionBook {
  /** The validator of an Update: `when`, then `check`; `when` is kept for the query. */
  validator<A extends { actor: Actor }>(def: { name: string }, v: Validation<A>): (a: A) => void;
  /** What each of these actors may do now. */
  available(actors: readonly Actor[]): AvailableAction[];
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createActionBook(): ActionBook {
  const rules: { update: string; v: Validation<{ actor: Actor; claimId?: string }> }[] = [];
  return {
    validator<A extends { actor: Actor }>(def: { name: string }, v: Validation<A>) {
      rules.push({ update: def.name, v: v as unknown as Validation<{ actor: Actor; claimId?: string }> });
      return (a: A) => {
        v.when(a.actor, a);
        v.check?.(a);
      };
    },
    available(actors) {
      const answer: AvailableAction[] = [];
      for (const { update, v } of rules) {
        const targets: (string | undefined)[] = v.claims ? v.claims() : [undefined];
        const forms: { name?: string; input: Partial<{ actor: Actor; claimId?: string }> }[] = [{ input: {} }, ...(v.variants ?? [])];
        for (const claimId of targets) for (const form of forms) {
          const entry: AvailableAction = { update, ...(claimId !== undefined ? { claimId } : {}), ...(form.name ? { variant: form.name } : {}), allowed: [], refused: {} };
          for (const actor of actors) {
            try {
              v.when(actor, { ...form.input, ...(claimId !== undefined ? { claimId } : {}) });
              entry.allowed.push(actor.role);
            } catch (err) {
              entry.refused[actor.role] = reason(err);
            }
          }
          answer.push(entry);
        }
      }
      return answer;
    },
  };
}

/** The roles a process asks about: its buyer and supplier (by party id), ops and support. */
export function processActors(parties: { buyerId?: string; supplierId?: string }, more: Actor[] = []): Actor[] {
  return [
    { role: 'ops' },
    { role: 'buyer', partyId: parties.buyerId },
    { role: 'supplier', partyId: parties.supplierId },
    ...more,
    { role: 'support' },
  ];
}
