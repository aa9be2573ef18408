/**
 * API keys (`/api-keys`): ops create, list, rotate and revoke them; any party's key may revoke
 * itself. A key's secret is shown once, when it is created, and never again: the list shows its
 * first characters (keyPrefix) to tell keys apart. A revoked key stops working at once in the API
 * process that revoked it and within KEY_CACHE_TTL_MS in every other one; an expired key stops at
 * its expiry everywhere.
 */
import type { Db } from '../infra/db';
import { badRequest, conflict, notFound } from './errors';
import { principal } from './http';
import { apiKeyView, createApiKey, KEY_CACHE_TTL_MS, KeyProblem, revokeApiKey, rotateApiKey, rotationRefusal } from './keys';
import { recordActions } from './actions';
import type { RouteRegistry } from './routes';
import {
  apiKeyParamsSchema,
  createApiKeySchema,
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  emptyActionSchema,
  listApiKeysSchema,
  rotateApiKeySchema,
} from './schemas';

export interface ApiKeyRouteDeps {
  db: Db;
  /** How long other API processes may still trust a revoked key; KEY_CACHE_TTL_MS unless given. */
  keyCacheTtlMs?: number;
}

const asProblem = (err: unknown) => (err instanceof KeyProblem ? badRequest([{ field: err.field, reason: err.message }]) : err);

function inFuture(field: string, at: string | undefined, now: number): Date | undefined {
  if (at === undefined) return undefined;
  const when = new Date(at);
  if (when.getTime() <= now) throw badRequest([{ field, reason: 'must be in the future' }]);
  return when;
}

export function registerApiKeyRoutes(routes: RouteRegistry, deps: ApiKeyRouteDeps): void {
  const { db } = deps;
  const tag = 'api keys';
  const cacheSeconds = (deps.keyCacheTtlMs ?? KEY_CACHE_TTL_MS) / 1000;
  const keyView = 'the key, never its secret: { apiKey: { id, name, role, partyId?, keyPrefix, status, createdAt, expiresAt?, revokedAt?, revokedBy?, rotatedFromId? } }';

  routes.add({
    method: 'post', path: '/api-keys', tag, summary: 'Create an API key', roles: ['ops'],
    description: 'The key is shown once in the answer; only its hash is stored. Buyer, supplier and inspector keys are bound to their party. With expiresAt the key stops working at that instant.',
    body: createApiKeySchema, responses: { 201: 'the key, shown once: { apiKey: { id, key, role, partyId?, name, expiresAt? } }' },
  }, async (_req, res, { body }) => {
    const expiresAt = inFuture('expiresAt', body.expiresAt, Date.now());
    const key = await createApiKey(db, { ...body, expiresAt }).catch((err: unknown) => {
      throw asProblem(err);
    });
    res.status(201).json({ apiKey: key });
  });

  routes.add({
    method: 'get', path: '/api-keys/current', tag, summary: 'Read the key this request is made with', roles: ['ops', 'support', 'buyer', 'supplier', 'inspector'],
    description: 'Who the caller is: its role and party (a client such as the console shows what that role may do). Never a secret or a hash.',
    responses: { 200: keyView },
  }, async (req, res) => {
    const row = await db.apiKey.findUnique({ where: { id: principal(req).keyId } });
    if (!row) throw notFound('no API key current');
    res.json({ apiKey: apiKeyView(row) });
  });

  routes.add({
    method: 'get', path: '/api-keys', tag, summary: 'List API keys', roles: ['ops', 'support'],
    description: 'Newest first, with their status: active, expiring (works until expiresAt, e.g. the old key of a rotation), expired or revoked. Never a secret or a hash.',
    query: listApiKeysSchema,
    responses: { 200: "{ apiKeys: [{ id, name, role, partyId?, keyPrefix, status, createdAt, expiresAt?, revokedAt?, revokedBy?, rotatedFromId?, actions }] }; actions (revoke, rotate) are those the caller's key may take on that key now" },
  }, async (req, res, { query: q }) => {
    const now = new Date();
    const status =
      q.status === 'revoked' ? { revokedAt: { not: null } }
        : q.status === 'expired' ? { revokedAt: null, expiresAt: { lte: now } }
          : q.status === 'expiring' ? { revokedAt: null, expiresAt: { gt: now } }
            : q.status === 'active' ? { revokedAt: null, expiresAt: null }
              : {};
    const rows = await db.apiKey.findMany({
      where: { ...(q.role ? { role: q.role } : {}), ...(q.partyId ? { partyId: q.partyId } : {}), ...status },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: q.limit ?? 200,
    });
    const p = principal(req);
    const paths = { revoke: '/api-keys/:keyId/revoke', rotate: '/api-keys/:keyId/rotate' };
    const refusal = (action: string, row: (typeof rows)[number]) => (action === 'rotate' ? rotationRefusal(row, now) : undefined);
    res.json({ apiKeys: rows.map((r) => ({ ...apiKeyView(r, now.getTime()), actions: recordActions(routes.operations(), p, r, paths, refusal) })) });
  });

  routes.add({
    method: 'post', path: '/api-keys/:keyId/revoke', tag, summary: 'Revoke an API key', roles: ['ops', 'buyer', 'supplier', 'inspector'],
    description:
      `Ops revoke any key; a buyer's, supplier's or inspector's key revokes itself (keyId "current", or its own id). The key stops working at once ` +
      `in this API process and within ${cacheSeconds} s (KEY_CACHE_TTL_MS) in every other. Revoking a revoked key answers as the first revocation did.`,
    ownership: "a buyer's, supplier's or inspector's key: itself only (another key is answered as a missing one)",
    params: apiKeyParamsSchema, body: emptyActionSchema, responses: { 200: keyView },
  }, async (req, res, { params }) => {
    const p = principal(req);
    const keyId = params.keyId === 'current' ? p.keyId : params.keyId;
    // A party's key learns nothing of other keys: they are all "no API key …".
    if (p.role !== 'ops' && keyId !== p.keyId) throw notFound(`no API key ${keyId}`);
    const row = await revokeApiKey(db, keyId, p.keyId);
    if (!row) throw notFound(`no API key ${keyId}`);
    routes.forgetKey(row.keyHash);
    res.json({ apiKey: apiKeyView(row) });
  });

  routes.add({
    method: 'post', path: '/api-keys/:keyId/rotate', tag, summary: 'Rotate an API key', roles: ['ops'],
    description:
      'A new key (a new secret, shown once) with the same name, role and party; the old key keeps working for overlapSeconds ' +
      `(${DEFAULT_ROTATION_OVERLAP_SECONDS} unless given) so that its holder can switch, then expires. A revoked or expired key cannot be rotated.`,
    params: apiKeyParamsSchema, body: rotateApiKeySchema,
    responses: { 201: 'the new key, shown once, and the old one with its new expiry: { apiKey: { id, key, role, partyId?, name, expiresAt? }, previous }' },
    errors: { 409: 'action_refused: the key is revoked or expired' },
  }, async (req, res, { params, body }) => {
    const now = new Date();
    const keyId = params.keyId === 'current' ? principal(req).keyId : params.keyId;
    const expiresAt = inFuture('expiresAt', body.expiresAt, now.getTime());
    const rotated = await rotateApiKey(db, keyId, { overlapMs: (body.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS) * 1000, expiresAt, now }).catch((err: unknown) => {
      if (err instanceof KeyProblem) throw conflict(err.message, 'action_refused');
      throw err;
    });
    if (!rotated) throw notFound(`no API key ${keyId}`);
    // The old key's expiry is kept with it in every process's cache only from its next lookup: forget it here.
    routes.forgetKey(rotated.previous.keyHash);
    res.status(201).json({ apiKey: rotated.created, previous: apiKeyView(rotated.previous, now.getTime()) });
  });
}
