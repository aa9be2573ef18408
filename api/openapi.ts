/**
 * The OpenAPI 3.1 document, generated from the route registry: each operation's parameters, query
 * and body come from the zod schemas that validate them, its roles from the description the
 * registry enforces, and every error answer refers to the one error shape (api/errors.ts).
 */
import { z } from 'zod';
import { errorBodySchema } from './errors';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_RETENTION_HOURS } from './idempotency';
import { KEY_CACHE_TTL_MS, ROLES } from './keys';
import type { RequestLimits } from './limits';
import { AnyRouteSpec, openApiPath, pathParamNames, ResponseSpec } from './routes';

/** JSON Schema as zod renders it (draft 2020-12, which OpenAPI 3.1 uses). */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  /** Roles whose API keys may call the operation; empty for a public one. */
  'x-roles': string[];
  'x-ownership'?: string;
  parameters: OpenApiParameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string; description: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<string, OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, string>>;
  };
}

export const ERROR_SCHEMA_REF = '#/components/schemas/Error';

function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** get /orders/:orderId/claims/:claimId/respond → getOrdersByOrderIdClaimsByClaimIdRespond */
export function operationIdOf(spec: Pick<AnyRouteSpec, 'method' | 'path'>): string {
  const parts = spec.path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${part.slice(1, 2).toUpperCase()}${part.slice(2)}` : part))
    .flatMap((part) => part.split(/[-_.]/))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1));
  return spec.method + (parts.join('') || 'Root');
}

/** Every POST behind a key takes an Idempotency-Key (api/idempotency.ts). */
const takesIdempotencyKey = (spec: AnyRouteSpec) => spec.method === 'post' && spec.roles !== 'public';

const IDEMPOTENCY_KEY_PARAMETER: OpenApiParameter = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description:
    `makes the request safe to retry: the first request with a key runs and its answer (status and body) is kept for ${IDEMPOTENCY_RETENTION_HOURS} hours; ` +
    'the same key with the same request (method, path, query, body) gets that answer again without acting again (Idempotent-Replayed: true), on any API process; ' +
    'a duplicate sent while the first is under way waits for it; the same key with another request is refused (422). Keys belong to the caller ' +
    "(a party's keys share them). A request refused before it runs (400, 401, 403, 413, 429) or answered 5xx is not kept: send it again with the same key. A UUID is a good key.",
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN.source },
};

function parameters(spec: AnyRouteSpec): OpenApiParameter[] {
  const out: OpenApiParameter[] = [];
  for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!schema) continue;
    const json = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
    const names = where === 'path' ? pathParamNames(spec.path) : Object.keys(json.properties ?? {});
    for (const name of names) {
      const property = { ...(json.properties?.[name] ?? {}) };
      const description = typeof property.description === 'string' ? property.description : undefined;
      delete property.description;
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: property,
      });
    }
  }
  if (takesIdempotencyKey(spec)) out.push(IDEMPOTENCY_KEY_PARAMETER);
  return out;
}

const errorContent = { 'application/json': { schema: { $ref: ERROR_SCHEMA_REF } } };

function errorResponses(spec: AnyRouteSpec, limits: RequestLimits): Record<string, OpenApiResponse> {
  const errors: Record<number, string> = {};
  const checked = [
    spec.params ? 'a path parameter' : '',
    spec.query ? 'a query parameter' : '',
    spec.body ? 'the body' : '',
    spec.upload ? `the file (Content-Type one of ${spec.upload.contentTypes.join(', ')}; not empty; its bytes must be of that type, by their signature)` : '',
  ].filter(Boolean);
  if (checked.length > 0) {
    errors[400] = `invalid_input: ${checked.join(' or ')} is not valid; \`fields\` names each field and why` +
      (spec.body ? ' (invalid_json when the body is not JSON)' : '');
  }
  if (spec.roles !== 'public') {
    errors[401] = `unauthenticated: no API key, or an unknown, revoked or expired one (a revoked key stops working within ${KEY_CACHE_TTL_MS / 1000} s in every API process)`;
    errors[403] = `forbidden: the key's role is not one of ${spec.roles.join(', ')}${spec.ownership ? `, or the record is not the caller's (${spec.ownership})` : ''}`;
  }
  if (spec.params) errors[404] = 'not_found: no such record';
  if (spec.body) errors[413] = `payload_too_large: the JSON body is larger than ${limits.jsonBodyBytes} bytes`;
  if (spec.upload) errors[413] = `payload_too_large: the file is larger than ${spec.upload.maxBytes} bytes`;
  if (spec.roles !== 'public') {
    errors[429] =
      `rate_limited: more than ${limits.ratePerMinute} requests a minute (bursts of ${limits.burst}) with this key, or more than ` +
      `${limits.unauthenticatedPerMinute} a minute (bursts of ${limits.unauthenticatedBurst}) without a valid key from this client address; see Retry-After`;
  }
  errors[500] = 'internal: an unexpected error; the request may be retried';
  Object.assign(errors, spec.errors ?? {});
  if (takesIdempotencyKey(spec)) {
    const inUse = 'idempotency_key_in_use: a request with this Idempotency-Key is still under way after a wait; retry shortly (see Retry-After)';
    errors[409] = errors[409] ? `${errors[409]}; or ${inUse}` : inUse;
    errors[422] = 'idempotency_key_reused: this Idempotency-Key was used for another request (another path, query or body) in the last 24 hours; `fields` names Idempotency-Key';
    errors[400] = `${errors[400] ?? 'invalid_input'}; or the Idempotency-Key header is malformed (1 to 255 visible ASCII characters)`;
  }
  // Every key is looked up in the database, so any route behind a key may find it unreachable.
  const databaseDown = 'unavailable: the database is unreachable';
  if (spec.roles !== 'public') errors[503] = errors[503] ? `${errors[503]}; or ${databaseDown}` : databaseDown;
  const out: Record<string, OpenApiResponse> = {};
  for (const [status, description] of Object.entries(errors)) {
    out[status] = {
      description: status === '503' ? `${description} (see Retry-After)` : description,
      content: errorContent,
      ...(status === '429'
        ? { headers: { 'Retry-After': { description: 'seconds until the key may make another request', schema: { type: 'integer', minimum: 1 } } } }
        : status === '503'
          ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } } }
          : {}),
    };
  }
  return out;
}

const REPLAY_HEADERS: Record<string, string> = {
  'Idempotent-Replayed': '"true" when this is the kept answer to an earlier request with the same Idempotency-Key',
  'Original-Request-Id': 'with Idempotent-Replayed: the X-Request-Id of the request that made the answer',
};

function successResponses(spec: AnyRouteSpec): Record<string, OpenApiResponse> {
  const out: Record<string, OpenApiResponse> = {};
  for (const [status, value] of Object.entries(spec.responses)) {
    const given: ResponseSpec = typeof value === 'string' ? { description: value } : value;
    const r: ResponseSpec = takesIdempotencyKey(spec) ? { ...given, headers: { ...given.headers, ...REPLAY_HEADERS } } : given;
    out[status] = {
      description: r.description,
      content: { [r.contentType ?? 'application/json']: {} },
      ...(r.headers
        ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
        : {}),
    };
  }
  return out;
}

function operation(spec: AnyRouteSpec, limits: RequestLimits): OpenApiOperation {
  const op: OpenApiOperation = {
    operationId: operationIdOf(spec),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    security: spec.roles === 'public' ? [] : [{ bearerKey: [] }, { headerKey: [] }],
    'x-roles': spec.roles === 'public' ? [] : [...spec.roles],
    ...(spec.ownership ? { 'x-ownership': spec.ownership } : {}),
    parameters: parameters(spec),
    responses: { ...successResponses(spec), ...errorResponses(spec, limits) },
  };
  if (spec.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } };
  }
  if (spec.upload) {
    op.requestBody = {
      required: true,
      description:
        `the file itself as the body, at most ${spec.upload.maxBytes} bytes. Its bytes must be of the type the Content-Type names ` +
        '(checked by the file\'s signature: a PNG, JPEG, PDF or MP4 header); that type is stored with the file and is the only one it is served as',
      content: Object.fromEntries(
        spec.upload.contentTypes.map((type) => [type, { schema: { type: 'string', contentMediaType: type, maxLength: spec.upload!.maxBytes } }]),
      ),
    };
  }
  return op;
}

/** What each group of operations is about, for the document's readers. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  service: 'Health, this document, its web page and metrics: public, no API key.',
  parties: 'Buyers, suppliers and inspectors, and the API keys bound to them.',
  'api keys': 'API keys: list (never the secret), revoke, rotate with an overlap; a party key may revoke itself.',
  'purchase order requests': "A buyer's purchase order request to a supplier: the supplier drafts the order from it, once; it expires without a draft.",
  orders: 'Trade Assurance orders: draft, confirmations, payments into escrow, shipping, receipt, cancellation, feedback, and what an order shows (state, timeline, ledger, deadlines).',
  claims: "Claims on an order: open, answer, counter-offer, escalate, evidence and requests for it, the platform's decision.",
  suppliers: "A supplier's Trade Assurance Amount: granted, reserved by open orders, available.",
  monitoring: 'The Production Monitoring & Inspection service: booking, card payment, product information, progress, the on-site check and its report.',
  'after-service reports': 'The weekly tracking self-check and the after-service report it stores.',
  'after-service cases': 'After-service cases (change or cancel, tracking, product guarantee, no-reason return) and their first-reply promise.',
  'manual orders': 'Orders entered by ops that cannot go through the normal flow.',
  'simulated carrier': 'The embedded simulated carrier that ops drive for trials and tests.',
  ops: 'The ops and support surface: every open deadline, the late-task queue, search.',
  console: 'The web console for ops and support: static files.',
};

export function buildOpenApiDocument(specs: readonly AnyRouteSpec[], limits: RequestLimits): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  for (const spec of specs) {
    const path = openApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method]: operation(spec, limits) };
    if (!tags.includes(spec.tag)) tags.push(spec.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'TradeGuard API',
      version: '1',
      description: [
        'Protected cross-border B2B orders, the Production Monitoring & Inspection service and their deadlines, run as Temporal workflows.',
        `Every operation except the public ones needs an API key ("Authorization: Bearer tg_…" or "X-API-Key"); a key has one role (${ROLES.join(', ')}).`,
        'Buyer and supplier keys are bound to their party and reach only their own records.',
        `Each key may make ${limits.ratePerMinute} requests a minute in bursts of up to ${limits.burst} (429 with Retry-After beyond that);`,
        `one client address may make ${limits.unauthenticatedPerMinute} requests a minute (bursts of ${limits.unauthenticatedBurst}) without a valid key, counted before the key is looked up;`,
        `a JSON body may be at most ${limits.jsonBodyBytes} bytes and each upload route states its own limit (413 beyond).`,
        'Money is an integer number of minor units with an ISO 4217 currency. Every error has the one shape of the Error schema;',
        'a 503 (unavailable: the database or the workflow service cannot be reached) comes with Retry-After.',
        `Every POST behind a key takes an Idempotency-Key header: a retry with the same key and request gets the first answer for ${IDEMPOTENCY_RETENTION_HOURS} hours instead of acting twice.`,
      ].join(' '),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the API that serves this document (every replica, whatever host name it is reached by).
    servers: [{ url: '/', description: 'the TradeGuard API that serves this document' }],
    tags: tags.map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema) },
      securitySchemes: {
        bearerKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer tg_…' },
        headerKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
