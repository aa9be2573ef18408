/**
 * What the caller may do now on one order, monitoring task or case: the workflow's
 * `availableActions` query (each Update's own rule, asked of every role) meets the route registry
 * (which roles' keys a route accepts). Neither is restated here; a client shows a form only for an
 * action in `actions`, and may explain the others with `refused`.
 */
import type { AvailableAction } from '../workflows/actions';
import type { Principal, Role } from './keys';
import type { AnyRouteSpec } from './routes';

/** An Update and the route that sends it (Express path syntax: /orders/:orderId/claims/:claimId/decide). */
export interface ActionLink {
  update: string;
  path: string;
  /** The named form of the Update the route sends (see AvailableAction.variant). */
  variant?: string;
}

export interface CallerAction {
  /** The route's last path segment: decide, mark-delivered, assign-inspector… */
  action: string;
  update: string;
  method: 'POST';
  /** The path to POST to, with its parameters filled in. */
  path: string;
  claimId?: string;
  /** Every role that may take the action now (the workflow allows it and the route takes its keys). */
  roles: Role[];
}

export interface RefusedAction {
  action: string;
  update: string;
  path: string;
  claimId?: string;
  /** Why not now, in the workflow's words. */
  reason: string;
}

export interface CallerActions {
  role: Role;
  actions: CallerAction[];
  refused: RefusedAction[];
}

export const ACTIONS_RESPONSE =
  "what the caller's key may do now: { role, actions: [{ action, update, method, path, claimId?, roles }], refused: [{ action, update, path, claimId?, reason }] }. " +
  "An action is listed when the workflow's availableActions query (each Update's own rule of who may act in which state, asked of every role) " +
  "allows the caller's role and the action's route accepts its keys; refused lists the actions the route accepts from this role that the " +
  'workflow does not allow now, with its reason. Actions another role takes are in neither list, but their roles are named in `roles`.';

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => encodeURIComponent(params[name] ?? `:${name}`));
}

/** The roles whose keys a POST route accepts, from the registry. */
export function routeRoles(operations: readonly AnyRouteSpec[], path: string): readonly Role[] {
  const spec = operations.find((s) => s.method === 'post' && s.path === path);
  return !spec || spec.roles === 'public' ? [] : spec.roles;
}

/**
 * The actions of a record the API itself rules on (a late task, a manual order): `refusal` is the
 * function its routes call (a reason, or undefined when allowed now); the caller gets the names of
 * the actions its role may take now.
 */
export function recordActions<R>(
  operations: readonly AnyRouteSpec[],
  caller: Principal,
  record: R,
  paths: Record<string, string>,
  refusal: (action: string, record: R) => string | undefined,
): string[] {
  return Object.entries(paths)
    .filter(([action, path]) => routeRoles(operations, path).includes(caller.role) && refusal(action, record) === undefined)
    .map(([action]) => action);
}

export function callerActions(
  operations: readonly AnyRouteSpec[],
  caller: Principal,
  available: readonly AvailableAction[],
  links: readonly ActionLink[],
  params: Record<string, string>,
): CallerActions {
  const answer: CallerActions = { role: caller.role, actions: [], refused: [] };
  for (const link of links) {
    const accepted = routeRoles(operations, link.path);
    const action = link.path.split('/').at(-1) as string;
    for (const entry of available.filter((a) => a.update === link.update && a.variant === link.variant)) {
      const path = fill(link.path, { ...params, ...(entry.claimId ? { claimId: entry.claimId } : {}) });
      const claim = entry.claimId ? { claimId: entry.claimId } : {};
      const roles = entry.allowed.filter((r): r is Role => (accepted as readonly string[]).includes(r));
      if (roles.includes(caller.role)) {
        answer.actions.push({ action, update: link.update, method: 'POST', path, ...claim, roles });
      } else if (accepted.includes(caller.role)) {
        answer.refused.push({ action, update: link.update, path, ...claim, reason: entry.refused[caller.role] ?? 'not allowed now' });
      }
    }
  }
  return answer;
}
