/**
 * Hostile requests generated from the OpenAPI document the API serves, and a model of what the API
 * must answer to each. The model follows the document and the order in which the route registry
 * checks a request (api/routes.ts): the route, the API key, the role, the body parser, then the
 * documented schemas of path, query and body, then the handler's ownership and lookup. A request
 * the model cannot prove refused is "maybe valid": the caller keeps it apart from the requests that
 * must change nothing.
 */
import querystring from 'node:querystring';
import fc from 'fast-check';
import type { OpenApiDocument, OpenApiOperation } from '../../api/openapi';
import { SAFE_TEXT } from '../../infra/text';

export type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  default?: unknown;
};

export interface Operation {
  index: number;
  method: string;
  path: string;
  name: string;
  roles: string[];
  pathParams: string[];
  query: { name: string; required: boolean; schema: JsonSchema }[];
  body?: JsonSchema;
  upload?: { types: string[]; maxBytes: number };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as OpenApiOperation;
      const content = op.requestBody?.content ?? {};
      const types = Object.keys(content);
      const json = content['application/json']?.schema as JsonSchema | undefined;
      const maxBytes = types.length > 0 && !json ? Number((content[types[0]].schema as JsonSchema).maxLength) : 0;
      ops.push({
        index: ops.length,
        method: method.toUpperCase(),
        path,
        name: `${method.toUpperCase()} ${path}`,
        roles: op['x-roles'],
        pathParams: op.parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: op.parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required, schema: p.schema as JsonSchema })),
        body: json,
        upload: types.length > 0 && !json ? { types, maxBytes } : undefined,
      });
    }
  }
  return ops;
}

// ---- the document's schemas as a validator -------------------------------------------------------

const patterns = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern, 'u')));
  return re;
}

/** Why `value` does not satisfy `schema` (JSON Schema 2020-12, the subset zod renders), or undefined. */
export function violation(schema: JsonSchema, value: unknown, at = '(body)'): string | undefined {
  if (schema.enum && !schema.enum.some((e) => e === value)) return `${at}: not one of the enum`;
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at}: not an object`;
      const obj = value as Record<string, unknown>;
      for (const name of schema.required ?? []) if (!Object.prototype.hasOwnProperty.call(obj, name)) return `${at}.${name}: missing`;
      for (const [name, v] of Object.entries(obj)) {
        const prop = schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, name) ? schema.properties[name] : undefined;
        if (!prop) {
          if (schema.additionalProperties === false) return `${at}.${name}: not allowed`;
          continue;
        }
        const why = violation(prop, v, `${at}.${name}`);
        if (why) return why;
      }
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `${at}: not an array`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${at}: too few items`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${at}: too many items`;
      if (schema.items) {
        for (let i = 0; i < value.length; i++) {
          const why = violation(schema.items, value[i], `${at}[${i}]`);
          if (why) return why;
        }
      }
      return undefined;
    }
    case 'string': {
      if (typeof value !== 'string') return `${at}: not a string`;
      const length = [...value].length;
      if (schema.minLength !== undefined && length < schema.minLength) return `${at}: too short`;
      if (schema.maxLength !== undefined && length > schema.maxLength) return `${at}: too long`;
      if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) return `${at}: does not match the pattern`;
      return undefined;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${at}: not a number`;
      if (schema.type === 'integer' && !Number.isInteger(value)) return `${at}: not an integer`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${at}: below the minimum`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${at}: above the maximum`;
      if (schema.exclusiveMinimum !== undefined && !(value > schema.exclusiveMinimum)) return `${at}: not above the exclusive minimum`;
      if (schema.exclusiveMaximum !== undefined && !(value < schema.exclusiveMaximum)) return `${at}: not below the exclusive maximum`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at}: not a boolean`;
    default:
      return undefined;
  }
}

/** Query values arrive as strings; the document's integer parameters are read as numbers (Number(…)). */
function queryViolation(op: Operation, query: Record<string, string | string[] | undefined>): string | undefined {
  for (const p of op.query) {
    const raw = query[p.name];
    if (raw === undefined) {
      if (p.required) return `query ${p.name}: missing`;
      continue;
    }
    const value = p.schema.type === 'integer' || p.schema.type === 'number' ? Number(raw) : raw;
    const why = violation(p.schema, value, `query ${p.name}`);
    if (why) return why;
  }
  return undefined;
}

// ---- routing, as Express does it -----------------------------------------------------------------

export interface Routed {
  op: Operation;
  /** Decoded path parameters; undefined when one cannot be decoded (Express answers 400). */
  params?: Record<string, string>;
}

/** The operation Express would route `method rawPath` to (case-insensitive, optional trailing slash). */
export function route(ops: readonly Operation[], method: string, rawPath: string): Routed | undefined {
  let path = rawPath;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.split('/');
  for (const op of ops) {
    if (op.method !== method) continue;
    const template = op.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    let decodable = true;
    for (let i = 0; i < template.length && ok; i++) {
      const t = template[i];
      const m = /^\{(\w+)\}$/.exec(t);
      if (m) {
        if (segments[i] === '') ok = false;
        else {
          try {
            params[m[1]] = decodeURIComponent(segments[i]);
          } catch {
            decodable = false;
          }
        }
      } else if (t.toLowerCase() !== segments[i].toLowerCase()) ok = false;
    }
    if (ok) return { op, params: decodable ? params : undefined };
  }
  return undefined;
}

// ---- the requests ----------------------------------------------------------------------------------

export type KeySlot = 'ops' | 'support' | 'buyerA' | 'supplierA' | 'buyerB' | 'supplierB' | 'none' | 'unknown' | 'revoked' | 'expired' | 'malformed';
export const PARTY_KEYS = ['buyerA', 'supplierA', 'buyerB', 'supplierB'] as const;
export const ROLE_OF: Record<string, string> = { ops: 'ops', support: 'support', buyerA: 'buyer', supplierA: 'supplier', buyerB: 'buyer', supplierB: 'supplier' };

export type Attack =
  | 'missing-required'
  | 'extra-field'
  | 'wrong-type'
  | 'bad-amount'
  | 'hostile-string'
  | 'huge-body'
  | 'malformed-json'
  | 'wrong-content-type'
  | 'bad-file'
  | 'path-injection'
  | 'query-injection'
  | 'no-or-bad-key'
  | 'wrong-role'
  | 'other-party'
  | 'unknown-record'
  | 'wrong-method'
  | 'unsafe-text'
  | 'mismatched-file'
  | 'bad-cursor'
  | 'bad-idempotency-key';

/** Files the fuzz test sends: one of each accepted type, and some that no upload route accepts. */
export const SAMPLE_FILES = {
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('fuzz pixels')]),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('fuzz photo')]),
  pdf: Buffer.from('%PDF-1.4\n% fuzz report\n%%EOF\n'),
  mp4: Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from('ftypmp42'), Buffer.from([0, 0, 0, 0]), Buffer.from('fuzz video')]),
  html: Buffer.from('<!doctype html><script>alert(document.cookie)</script>'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  gif: Buffer.from('GIF89a fuzz'),
  exe: Buffer.from('MZ\x90\x00 fuzz'),
} as const;
export type SampleName = keyof typeof SAMPLE_FILES;

/** Which sample is of which accepted type: a file is accepted only as the type it is. */
const SAMPLE_OF_TYPE: Record<string, SampleName> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'application/pdf': 'pdf', 'video/mp4': 'mp4' };

/**
 * One generated request, symbolic: fixture records are named by slot (`@@orderA@@`, …) and resolved
 * to the run's ids just before sending, so that a seed always generates the same requests.
 */
export interface FuzzRequest {
  op: number;
  attack: Attack;
  method: string;
  key: KeySlot;
  /** How the key is presented. */
  auth: 'bearer' | 'x-api-key';
  /** Path with slots, already percent-encoded as it goes on the wire. */
  path: string;
  /** Query string as it goes on the wire, without "?". */
  query: string;
  body:
    | { kind: 'none' }
    | { kind: 'text'; text: string; contentType?: string }
    | { kind: 'bytes'; fill: number; size: number; contentType?: string }
    | { kind: 'sample'; sample: SampleName; contentType?: string };
  /** Sent twice in a row: the second answer must be the first one's. */
  replay: boolean;
  /** An Idempotency-Key header as it goes on the wire (sent twice when an array); none when undefined. */
  idempotencyKey?: string | string[];
}

/** The bytes of a request's body, as sent. */
export function bodyBytes(body: FuzzRequest['body'], text: (t: string) => string = (t) => t): Buffer | undefined {
  if (body.kind === 'text') return Buffer.from(text(body.text), 'utf8');
  if (body.kind === 'bytes') return Buffer.alloc(body.size, body.fill);
  if (body.kind === 'sample') return SAMPLE_FILES[body.sample];
  return undefined;
}

export interface Fixtures {
  ids: Record<string, string>;
  /** Which side (A or B) a fixture slot or a party key belongs to. */
  sideOf: Record<string, 'A' | 'B'>;
  /** Ids of records that exist (everything else of a valid shape is unknown). */
  existing: Set<string>;
}

export function resolve(text: string, f: Fixtures): string {
  return text.replace(/@@(\w+)@@/g, (_m, slot: string) => {
    const id = f.ids[slot];
    if (id === undefined) throw new Error(`no fixture for slot ${slot}`);
    return id;
  });
}

export interface Verdict {
  /** The API must refuse: an answer in `statuses`. */
  refused: boolean;
  statuses?: number[];
  /** Which check refuses it (or why it may be valid). */
  reason: string;
  route?: string;
}

const SLOT_OF_PARAM: Record<string, string[]> = { orderId: ['orderA', 'orderAPaid', 'orderB'], monitoringId: ['monA', 'monB'] };

/** What the API must answer to a resolved request, by the document and the registry's order of checks. */
export function judge(
  ops: readonly Operation[],
  f: Fixtures,
  r: { method: string; key: KeySlot; path: string; query: string; body: FuzzRequest['body']; idempotencyKey?: string | string[] },
  limits: { jsonBodyBytes: number },
): Verdict {
  const routed = route(ops, r.method, r.path);
  if (!routed) return { refused: true, statuses: [404], reason: 'no route' };
  const { op } = routed;
  if (!routed.params) return { refused: true, statuses: [400], reason: 'path parameter cannot be decoded', route: op.name };
  const role = ROLE_OF[r.key];
  if (op.roles.length > 0) {
    if (!role) return { refused: true, statuses: [401], reason: 'no valid API key', route: op.name };
    if (!op.roles.includes(role)) return { refused: true, statuses: [403], reason: 'role not allowed', route: op.name };
  }
  // The body parser.
  let body: unknown = {};
  if (op.body && r.body.kind !== 'none') {
    const contentType = r.body.contentType?.toLowerCase() ?? '';
    const mime = contentType.split(';')[0].trim();
    if (mime === 'application/json') {
      const charset = /charset=([^;]+)/.exec(contentType)?.[1]?.trim();
      if (charset && !charset.startsWith('utf-')) return { refused: true, statuses: [415], reason: 'unsupported charset', route: op.name };
      const raw = bodyBytes(r.body)!;
      if (raw.length > limits.jsonBodyBytes) return { refused: true, statuses: [413], reason: 'JSON body over the limit', route: op.name };
      const text = r.body.kind === 'text' ? r.body.text.replace(/^\uFEFF/, '') : raw.toString('utf8');
      if (text === '') body = {};
      else {
        // body-parser's strict mode: the first character after JSON whitespace opens an object or an array.
        if (!['{', '['].includes(text.replace(/^[ \t\n\r]*/, '').charAt(0))) return { refused: true, statuses: [400], reason: 'not a JSON object or array', route: op.name };
        try {
          body = JSON.parse(text);
        } catch {
          return { refused: true, statuses: [400], reason: 'malformed JSON', route: op.name };
        }
      }
    }
  }
  let file: { contentType: string; size: number; sample?: SampleName } | undefined;
  if (op.upload) {
    const size = bodyBytes(r.body)?.length ?? 0;
    if (size > op.upload.maxBytes) return { refused: true, statuses: [413], reason: 'file over the limit', route: op.name };
    const contentType = r.body.kind === 'none' ? '' : (r.body.contentType ?? '').split(';')[0].trim().toLowerCase();
    file = { contentType, size, sample: r.body.kind === 'sample' ? r.body.sample : undefined };
  }
  // The documented schemas.
  const params = routed.params;
  const paramSchemas = paramSchemasOf(op);
  for (const name of op.pathParams) {
    const why = violation(paramSchemas[name] ?? {}, params[name], `path ${name}`);
    if (why) return { refused: true, statuses: [400], reason: 'path parameter against the document', route: op.name };
  }
  const query = querystring.parse(r.query) as Record<string, string | string[] | undefined>;
  if (queryViolation(op, query)) return { refused: true, statuses: [400], reason: 'query against the document', route: op.name };
  if (op.body && violation(op.body, body)) return { refused: true, statuses: [400], reason: 'body against the document', route: op.name };
  if (file && (!op.upload!.types.includes(file.contentType) || file.size === 0)) {
    return { refused: true, statuses: [400], reason: 'file type or empty file', route: op.name };
  }
  if (file && SAMPLE_OF_TYPE[file.contentType] !== file.sample) {
    return { refused: true, statuses: [400], reason: 'file bytes not of the declared type', route: op.name };
  }
  // The lists' party filter: a buyer or supplier may name only itself, checked before the cursor is read.
  const ownParty = r.key === 'buyerA' || r.key === 'supplierA' || r.key === 'buyerB' || r.key === 'supplierB' ? f.ids[r.key] : undefined;
  if (op.method === 'GET' && (op.path === '/deadlines' || op.path === '/search') && ownParty && typeof query.party === 'string' && query.party !== ownParty) {
    // 400 when the query breaks a rule the document cannot state (an instant before 1970, an unknown parameter).
    return { refused: true, statuses: [400, 403], reason: "another party's filter", route: op.name };
  }
  // A cursor is a page's nextCursor: none of the fuzz test's cursors is one (it pages nothing first).
  if (op.query.some((q) => q.name === 'cursor') && query.cursor !== undefined) return { refused: true, statuses: [400], reason: 'a cursor this API did not make', route: op.name };
  // Every POST behind a key takes an Idempotency-Key: 1 to 255 visible ASCII characters, sent once.
  if (r.idempotencyKey !== undefined && op.method === 'POST' && op.roles.length > 0) {
    const value = Array.isArray(r.idempotencyKey) ? r.idempotencyKey.join(', ') : r.idempotencyKey;
    if (!/^[\x21-\x7E]{1,255}$/.test(value)) return { refused: true, statuses: [400], reason: 'malformed Idempotency-Key', route: op.name };
  }
  // The handler: another party's record, or a record that does not exist.
  const side = f.sideOf[r.key];
  for (const name of ['orderId', 'monitoringId']) {
    const id = params[name];
    if (id === undefined) continue;
    if (!f.existing.has(id)) return { refused: true, statuses: [400, 404], reason: 'unknown record', route: op.name };
    const owner = SLOT_OF_PARAM[name].map((slot) => [f.ids[slot], f.sideOf[slot]] as const).find(([fid]) => fid === id)?.[1];
    // Another party's record is answered as a missing one.
    if (side && owner && owner !== side) return { refused: true, statuses: [400, 404], reason: "another party's record", route: op.name };
  }
  if (side) {
    const own = (slot: string) => f.ids[slot];
    const mine = side === 'A' ? { buyer: own('buyerA'), supplier: own('supplierA') } : { buyer: own('buyerB'), supplier: own('supplierB') };
    const myId = role === 'buyer' ? mine.buyer : mine.supplier;
    if ((params.partyId !== undefined && params.partyId !== myId) || (params.supplierId !== undefined && params.supplierId !== myId)) {
      return { refused: true, statuses: [400, 403], reason: "another party's record", route: op.name };
    }
    const b = body as Record<string, unknown>;
    // Who may book how is checked before the order is looked at: a supplier while drafting, a buyer otherwise.
    if (op.method === 'POST' && op.path === '/monitoring' && ((role === 'supplier') !== (b?.addedVia === 'SUPPLIER_DRAFT'))) {
      return { refused: true, statuses: [403], reason: 'not the way this party books', route: op.name };
    }
    if (op.method === 'POST' && op.path === '/monitoring' && typeof b?.orderId === 'string') {
      if (!f.existing.has(b.orderId)) return { refused: true, statuses: [400, 403, 404], reason: 'unknown record', route: op.name };
      const owner = SLOT_OF_PARAM.orderId.map((slot) => [f.ids[slot], f.sideOf[slot]] as const).find(([fid]) => fid === b.orderId)?.[1];
      if (owner && owner !== side) return { refused: true, statuses: [400, 404], reason: "another party's record", route: op.name };
    }
    if (op.method === 'POST' && op.path === '/orders' && role === 'supplier' && typeof b?.supplierId === 'string' && b.supplierId !== myId) {
      return { refused: true, statuses: [400, 403], reason: "another party's name", route: op.name };
    }
  }
  return { refused: false, reason: 'valid by the document', route: op.name };
}

const paramSchemaCache = new WeakMap<Operation, Record<string, JsonSchema>>();
let documentRef: OpenApiDocument | undefined;
export function useDocument(doc: OpenApiDocument): void {
  documentRef = doc;
}
function paramSchemasOf(op: Operation): Record<string, JsonSchema> {
  let found = paramSchemaCache.get(op);
  if (!found) {
    const raw = documentRef?.paths[op.path]?.[op.method.toLowerCase()] as OpenApiOperation | undefined;
    found = Object.fromEntries((raw?.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, p.schema as JsonSchema]));
    paramSchemaCache.set(op, found);
  }
  return found;
}

// ---- generators --------------------------------------------------------------------------------------

/** Strings meant to break parsers, logs, SQL and paths. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '   \t\n ',
  '\u0000',
  'abc\u0000def',
  '\u0007\u001b[31mred\u001b[0m',
  '\r\nX-Injected: 1',
  '\u202Egnp.exe',
  '\u200B\u200C\u200D\uFEFF',
  'مرحبا بالعالم',
  'שלום\u200Fעולם',
  '😀🎉👩‍👩‍👧‍👦🏳️‍🌈',
  '\uD800',
  '\uDC00x',
  'e\u0301\u0301\u0301\u0301',
  'Ｐ Ｏ－１',
  'раураl',
  "' OR '1'='1",
  '1; DROP TABLE "Order"; --',
  "'); DELETE FROM \"LedgerEntry\" WHERE ('1'='1",
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'NaN',
  'null',
  'undefined',
  '-1',
  '1e308',
  '９９',
  'x'.repeat(5000),
  '😀'.repeat(3000),
];

/**
 * Text no string field may take (infra/text.ts): lone surrogates, control characters other than
 * newline and tab, bidirectional embeddings, overrides and isolates. JSON carries a lone surrogate
 * as its escape, which JSON.parse keeps lone; a URL cannot carry one (it arrives as U+FFFD).
 */
export const UNSAFE_TEXT: readonly string[] = [
  'lost \ud800 x', '\udc00', 'box \ud83d', '\udfff\ud800',
  'red \u001b[31malert\u001b[0m', 'ding\u0007', 'del\u007f', 'next\u0085line', 'csi\u009b2J', 'carriage\ronly', 'vertical\u000btab', 'nul\u0000',
  'invoice \u202Efdp.exe', '\u202Aembedded\u202C', 'a\u2066isolated\u2069', '\u2067rtl\u2069', '\u202Doverride',
];
const UNSAFE_IN_URLS = UNSAFE_TEXT.filter((s) => !/[\uD800-\uDFFF]/.test(s));

/** A free-text field: its pattern is the API's safe-text rule. */
const isFreeText = (schema: JsonSchema) => schema.pattern === SAFE_TEXT.source;

/** An unsafe string, on its own or put into the field's plausible value. */
function unsafeFor(value: unknown, pool: readonly string[]): fc.Arbitrary<string> {
  // Put in between two characters, never inside a surrogate pair: a lone half next to a broken pair would make it whole again.
  const chars = [...(typeof value === 'string' ? value : 'text')];
  return fc.oneof(
    fc.constantFrom(...pool),
    fc.tuple(fc.constantFrom(...pool), fc.nat(chars.length)).map(([u, at]) => [...chars.slice(0, at), u, ...chars.slice(at)].join('')),
  );
}

/** Numbers for money and counts that no amount field may take (or that only some may). */
export const HOSTILE_NUMBERS: readonly (number | string)[] = [
  -1, -100, 0, -0.0, 0.5, 1.5, 99.99, 2.000001, 1e-7, Number.MIN_VALUE,
  Number.MAX_SAFE_INTEGER + 1, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 1e21, 1e308, -1e308, -Number.MAX_SAFE_INTEGER - 1,
  // Raw JSON text: Infinity after parsing, negative zero, big integers, exponents.
  'RAW:1e309', 'RAW:-1e309', 'RAW:-0', 'RAW:18446744073709551616', 'RAW:9007199254740993', 'RAW:1E400', 'RAW:1.0e2',
];

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'actor', 'status', 'revision', 'isAdmin', '', ' ', '😀', '$where', 'a'.repeat(300), 'role'];

const MALFORMED_JSON: readonly string[] = [
  '{', '}', '{"a":', '{"a" 1}', "{'a': 1}", '{a: 1}', '{"a": 1,}', '[1, 2,]', '{"a": NaN}', '{"a": Infinity}', '{"a": undefined}',
  '{"a": 1} trailing', '{"a": 1}{"b": 2}', '{"a": "unterminated}', '{"a": "\\x41"}', '{"a": "\\u12"}', '{"a": 01}', '{"a": .5}', '{"a": +1}',
  '{"a": 1 /* comment */}', '// comment\n{}', '"just a string"', '123', 'true', 'null', 'nul', '\u0000{}', '{"a": "\u0000\u0001"', '{"a":"b"', '[[[[[[',
  '<xml/>', 'a=1&b=2', '\uFEFF\uFEFF{}', '{"__proto__": ', '{"a": 1e999999999999}garbage',
];

const NON_JSON_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'application/octet-stream', undefined];
const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON'];
const PATH_INJECTIONS: readonly { value: string; raw: boolean }[] = [
  { value: '..', raw: true }, { value: '../..', raw: true }, { value: '../../etc/passwd', raw: true }, { value: '..%2F..%2Fetc%2Fpasswd', raw: true },
  { value: '%2e%2e', raw: true }, { value: '%2e%2e%2f%2e%2e%2f', raw: true }, { value: '....//', raw: true }, { value: '%00', raw: true },
  { value: '%C0%AF', raw: true }, { value: '%ZZ', raw: true }, { value: '%', raw: true }, { value: '%E0%A4%A', raw: true }, { value: '.', raw: true },
  { value: '', raw: true }, { value: '//', raw: true }, { value: 'x/../y', raw: true }, { value: '%u002e', raw: true }, { value: '\\..\\..', raw: true },
  { value: "1' OR '1'='1", raw: false }, { value: '1; DROP TABLE "Order"', raw: false }, { value: '../../etc/passwd', raw: false },
  { value: '😀', raw: false }, { value: '\u202Eevil', raw: false }, { value: 'ＰＯ１', raw: false }, { value: '\u0000', raw: false },
  { value: 'a'.repeat(2000), raw: false }, { value: ' PO-1', raw: false }, { value: 'PO-1 ', raw: false }, { value: '-PO', raw: false },
  { value: '__proto__', raw: false }, { value: 'constructor', raw: false }, { value: 'toString', raw: false }, { value: 'null', raw: false },
];

const rawEncode = (s: string) => s.replace(/[^\x21-\x7e]|[?#]/gu, (c) => encodeURIComponent(c));

/** A plausible value for a schema: mostly valid, so that each request breaks one thing on purpose. */
export function plausible(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      const props = schema.properties ?? {};
      const entries = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, plausible(v, depth + 1)]));
      return fc.record(entries, { requiredKeys: (schema.required ?? []).filter((k) => k in props) }) as fc.Arbitrary<unknown>;
    }
    case 'array':
      return fc.array(schema.items ? plausible(schema.items, depth + 1) : fc.constant(null), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'string':
      if (schema.pattern && !isFreeText(schema)) {
        const re = regex(schema.pattern);
        return patternArb(schema).filter((s) => re.test(s) && [...s].length >= (schema.minLength ?? 0) && [...s].length <= (schema.maxLength ?? Infinity));
      }
      return fc.string({ minLength: Math.max(1, schema.minLength ?? 0), maxLength: Math.min(schema.maxLength ?? 40, 40), unit: 'grapheme' })
        .filter((s) => s.trim().length > 0 && [...s].length <= (schema.maxLength ?? Infinity) && (!schema.pattern || regex(schema.pattern).test(s)));
    case 'integer': {
      const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? 0);
      const max = Math.min(schema.maximum ?? 1_000_000, min + 1_000_000);
      return fc.integer({ min, max });
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? 0, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.constant(null);
  }
}

/**
 * Strings matching a pattern. Unicode classes (\\p{L}, \\p{N}) are narrowed to a few scripts, and
 * email addresses are built from a plain local part and a domain: generating from the full pattern is slow.
 */
function patternArb(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'email') {
    return fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,15}$/), fc.constantFrom('example.com', 'fuzz.example', 'xn--80ak6aa92e.com')).map(([local, domain]) => `${local}@${domain}`);
  }
  const narrowed = schema.pattern!.replace(/\\p\{L\}/g, 'a-zA-Zéßж漢字').replace(/\\p\{N\}/g, '0-9٣');
  return fc.stringMatching(new RegExp(narrowed, 'u'));
}

type Path = (string | number)[];

/** Every place in a value where the schema describes a property: [path, schema]. */
function places(schema: JsonSchema, value: unknown, path: Path = []): [Path, JsonSchema][] {
  const out: [Path, JsonSchema][] = [];
  if (schema.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(schema.properties ?? {})) {
      if (k in (value as object)) {
        out.push([[...path, k], v]);
        out.push(...places(v, (value as Record<string, unknown>)[k], [...path, k]));
      }
    }
  } else if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      out.push([[...path, i], schema.items!]);
      out.push(...places(schema.items!, item, [...path, i]));
    });
  }
  return out;
}

function objectsWithSchema(schema: JsonSchema, value: unknown, path: Path = []): [Path, JsonSchema][] {
  const here: [Path, JsonSchema][] = schema.type === 'object' && value && typeof value === 'object' && !Array.isArray(value) ? [[path, schema]] : [];
  return [...here, ...places(schema, value, path).filter(([p]) => p.length > 0).flatMap(([p, s]) => (s.type === 'object' ? objectsWithSchema(s, get(value, p), p) : []))]
    .filter((e, i, all) => all.findIndex((o) => o[0].join('\u0001') === e[0].join('\u0001')) === i);
}

function get(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  Object.defineProperty(parent, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return root;
}

function deleteAt(root: unknown, path: Path): unknown {
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  delete parent[path[path.length - 1]];
  return root;
}

function wrongTypeFor(schema: JsonSchema): unknown[] {
  const all: unknown[] = ['42', 42, 4.2, true, null, [], {}, ['a'], { a: 1 }];
  const same = (v: unknown) =>
    (schema.type === 'string' && typeof v === 'string') ||
    ((schema.type === 'integer' || schema.type === 'number') && typeof v === 'number') ||
    (schema.type === 'boolean' && typeof v === 'boolean') ||
    (schema.type === 'array' && Array.isArray(v)) ||
    (schema.type === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v));
  return all.filter((v) => !same(v));
}

/** Serialises a body; values "RAW:…" become raw JSON text (Infinity, -0, big integers). */
function serialise(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'string' && v.startsWith('RAW:')) {
      raws.push(v.slice(4));
      return `@@RAW${raws.length - 1}@@`;
    }
    return v;
  });
  return (text ?? '').replace(/"@@RAW(\d+)@@"/g, (_m, i: string) => raws[Number(i)]);
}

function bodyMutation(schema: JsonSchema, attack: Attack, base: unknown): fc.Arbitrary<string> {
  const spots = places(schema, base);
  const objects = objectsWithSchema(schema, base);
  switch (attack) {
    case 'missing-required': {
      const required = objects.flatMap(([p, s]) => (s.required ?? []).filter((k) => get(base, [...p, k]) !== undefined).map((k) => [...p, k] as Path));
      if (required.length === 0) return fc.constant(serialise(base));
      return fc.constantFrom(...required).map((p) => serialise(deleteAt(clone(base), p)));
    }
    case 'extra-field':
      return fc.tuple(fc.constantFrom(...objects.map(([p]) => p)), fc.constantFrom(...HOSTILE_KEYS), fc.constantFrom<unknown>(1, 'x', null, { isAdmin: true }, [])).map(([p, key, v]) => {
        const copy = clone(base);
        setAt(copy, [...p, key], v);
        return serialise(copy);
      });
    case 'wrong-type': {
      const candidates: [Path, JsonSchema][] = [[[], schema], ...spots];
      return fc.constantFrom(...candidates).chain(([p, s]) => fc.constantFrom(...wrongTypeFor(s)).map((v) => serialise(setAt(clone(base), p, v))));
    }
    case 'bad-amount': {
      const numeric = spots.filter(([, s]) => s.type === 'integer' || s.type === 'number');
      if (numeric.length === 0) return fc.constantFrom(...HOSTILE_NUMBERS).map((n) => serialise(n));
      return fc.tuple(fc.constantFrom(...numeric), fc.constantFrom(...HOSTILE_NUMBERS)).map(([[p], n]) => serialise(setAt(clone(base), p, n)));
    }
    case 'hostile-string': {
      const strings = spots.filter(([, s]) => s.type === 'string');
      const hostile = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }));
      if (strings.length === 0) return hostile.map((s) => serialise(s));
      return fc.array(fc.tuple(fc.constantFrom(...strings), hostile), { minLength: 1, maxLength: 3 }).map((changes) => {
        const copy = clone(base);
        for (const [[p], s] of changes) setAt(copy, p, s);
        return serialise(copy);
      });
    }
    case 'unsafe-text': {
      // Every string field, also the optional ones the plausible body left out.
      const present = spots.filter(([, s]) => s.type === 'string' && !s.enum).map(([p]) => p);
      const absent = objects.flatMap(([p, s]) =>
        Object.entries(s.properties ?? {}).filter(([k, v]) => v.type === 'string' && !v.enum && get(base, [...p, k]) === undefined).map(([k]) => [...p, k] as Path));
      const targets = [...present, ...absent];
      if (targets.length === 0) return fc.constant(serialise(base));
      return fc.constantFrom(...targets).chain((p) => unsafeFor(get(base, p), UNSAFE_TEXT).map((u) => serialise(setAt(clone(base), p, u))));
    }
    case 'huge-body':
      return fc.oneof(
        // Over the JSON limit.
        fc.integer({ min: 300_000, max: 600_000 }).map((n) => serialise({ ...(base as object), padding: 'x'.repeat(n) })),
        // Under the limit, but a field far longer than allowed.
        fc.constantFrom(...(spots.filter(([, s]) => s.type === 'string').map(([p]) => p) as Path[]), ['padding'] as Path)
          .map((p) => serialise(setAt(clone(base), p, '😀'.repeat(40_000)))),
        // Deeply nested or very wide.
        fc.integer({ min: 1_000, max: 60_000 }).map((n) => `{"nested":${'['.repeat(n)}${']'.repeat(n)}}`),
        fc.integer({ min: 1_000, max: 10_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
        fc.integer({ min: 1_001, max: 3_000 }).map((n) => serialise({ ...(base as object), items: Array.from({ length: n }, () => ({ sku: 'A', description: 'B', quantity: 1, unitPrice: 1 })) })),
      );
    case 'malformed-json':
      return fc.oneof(
        fc.constantFrom(...MALFORMED_JSON),
        fc.integer({ min: 1, max: 1000 }).map((cut) => {
          const text = serialise(base);
          return text.slice(0, Math.max(1, Math.min(cut, text.length - 1)));
        }),
        fc.constantFrom('garbage', '}', ',', '{', '\u0000').map((tail) => serialise(base) + tail),
      );
    default:
      return fc.constant(serialise(base));
  }
}

/** Cursors no page of this API made: years PostgreSQL cannot store, characters it cannot store, other shapes. */
export const BAD_CURSORS: readonly string[] = [
  ['0000-01-01T00:00:00Z', 'x'], ['-271821-04-20T00:00:00.000Z', 'x'], ['+275760-09-13T00:00:00.000Z', 'x'], ['1969-12-31T23:59:59Z', 'x'],
  ['2026-12-01T12:00:00Z', 'nul\u0000'], ['2026-12-01T12:00:00Z', '\ud800'], ['2026-12-01T12:00:00Z', "x' OR '1'='1"], ['2026-12-01', 'x'],
  ['2026-12-01T12:00:00Z', 'order', 'x', 'extra'], ['2026-12-01T12:00:00Z', 'invoice', 'x'], [1, 2], [null], { dueAt: '2026-12-01T12:00:00Z' }, 'not json', '[',
].map((v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url'));

/** Idempotency-Key values the API must refuse (and Node's HTTP client can send): empty, too long, spaces, not ASCII, sent twice. */
const BAD_IDEMPOTENCY_KEYS: readonly (string | string[])[] = ['', ' ', 'k'.repeat(256), 'two words', 'cl\u00e9', 'tab\tkey', ['first-key', 'second-key']];

function keysFor(op: Operation): KeySlot[] {
  if (op.roles.length === 0) return ['ops'];
  const keys: KeySlot[] = [];
  if (op.roles.includes('ops')) keys.push('ops');
  if (op.roles.includes('support')) keys.push('support');
  if (op.roles.includes('buyer')) keys.push('buyerA', 'buyerB');
  if (op.roles.includes('supplier')) keys.push('supplierA', 'supplierB');
  return keys;
}

/** Whether a request body has a string field that is not an enum, at any depth. */
function hasStringField(schema: JsonSchema | undefined): boolean {
  if (!schema) return false;
  if (schema.type === 'string') return !schema.enum;
  return Object.values(schema.properties ?? {}).some(hasStringField) || hasStringField(schema.items);
}

/** The attacks that apply to an operation, with weights. */
function attacksFor(op: Operation): [Attack, number][] {
  const out: [Attack, number][] = [];
  if (op.body) {
    out.push(['missing-required', 3], ['extra-field', 3], ['wrong-type', 4], ['bad-amount', 3], ['hostile-string', 4], ['huge-body', 1], ['malformed-json', 3], ['wrong-content-type', 2]);
  }
  if (op.upload) out.push(['bad-file', 4], ['mismatched-file', 4], ['hostile-string', 2]);
  if (op.query.some((q) => q.name === 'cursor')) out.push(['bad-cursor', 4]);
  if (op.method === 'POST' && op.roles.length > 0) out.push(['bad-idempotency-key', 2]);
  if (op.pathParams.length > 0) out.push(['path-injection', 4], ['unknown-record', 1]);
  if (op.query.length > 0) out.push(['query-injection', 5]);
  if (hasStringField(op.body) || op.query.some((q) => q.schema.type === 'string' && !q.schema.enum)) out.push(['unsafe-text', 4]);
  if (op.roles.length > 0) out.push(['no-or-bad-key', 2]);
  if (op.roles.length > 0 && op.roles.length < 4) out.push(['wrong-role', 2]);
  const holdsRecords = op.pathParams.some((p) => ['orderId', 'monitoringId', 'partyId', 'supplierId'].includes(p));
  if (holdsRecords || (op.method === 'GET' && op.path === '/orders') || (op.method === 'POST' && op.path === '/monitoring')) out.push(['other-party', 3]);
  out.push(['wrong-method', 1]);
  if (out.length === 1) out.push(['path-injection', 1]);
  return out;
}

/** Path parameter values that fit the document, by name (slots resolve to fixture ids). */
function goodParam(name: string, side: 'A' | 'B'): fc.Arbitrary<string> {
  switch (name) {
    case 'orderId':
      return side === 'A' ? fc.constantFrom('@@orderA@@', '@@orderAPaid@@') : fc.constant('@@orderB@@');
    case 'monitoringId':
      return fc.constant(side === 'A' ? '@@monA@@' : '@@monB@@');
    case 'partyId':
      return fc.constant(side === 'A' ? '@@buyerA@@' : '@@buyerB@@');
    case 'supplierId':
      return fc.constant(side === 'A' ? '@@supplierA@@' : '@@supplierB@@');
    case 'claimId':
      return fc.constantFrom('C1', 'C2');
    case 'fileId':
      return fc.constantFrom('0'.repeat(64), 'ab'.repeat(32));
    case 'weekStart':
      return fc.constantFrom('2026-11-16', '2026-11-23');
    case 'carrier':
      return fc.constantFrom('DHL', 'SF Express');
    case 'trackingNumber':
      return fc.constantFrom('FUZZ-0001', 'JD0146000');
    default:
      return fc.constant('x1');
  }
}

function unknownParam(name: string): string {
  return name === 'orderId' ? 'PO-FUZZ-NOT-THERE' : name === 'monitoringId' ? 'PM-FUZZ-NOT-THERE' : 'nobody-fuzz';
}

/** The generator of hostile requests for one operation. */
export function requestsFor(op: Operation, doc: OpenApiDocument): fc.Arbitrary<FuzzRequest> {
  const allowedKeys = keysFor(op);
  const partyKeys = allowedKeys.filter((k) => (PARTY_KEYS as readonly string[]).includes(k));
  const otherRoles: KeySlot[] = (['ops', 'support', 'buyerA', 'supplierA', 'buyerB', 'supplierB'] as KeySlot[]).filter((k) => !op.roles.includes(ROLE_OF[k]));
  const opsForPath = (doc.paths[op.path] ?? {}) as Record<string, unknown>;
  const otherMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !(m.toLowerCase() in opsForPath));
  const attacks = attacksFor(op).filter(([a]) => a !== 'other-party' || partyKeys.length > 0);
  // Unbiased: fast-check otherwise favours the smallest values, which would make every chance a certainty.
  // Built once per operation: building arbitraries costs more than drawing from them.
  const paramsFor = (side: 'A' | 'B') => fc.record(Object.fromEntries(op.pathParams.map((p) => [p, goodParam(p, side)])) as Record<string, fc.Arbitrary<string>>);
  const paramsA = paramsFor('A');
  const paramsB = paramsFor('B');
  const baseQuery = fc.record(
    Object.fromEntries(op.query.map((q) => [q.name, (q.schema.pattern && !isFreeText(q.schema)) || q.schema.enum || q.schema.type === 'integer' ? plausible(q.schema).map(String) : fc.constant('fuzz note')])) as Record<string, fc.Arbitrary<string>>,
    { requiredKeys: op.query.filter((q) => q.required).map((q) => q.name) },
  );
  const baseBody = op.body ? plausible(op.body) : fc.constant(undefined);
  const injection = fc.constantFrom(...PATH_INJECTIONS);
  const paramToBreak = fc.constantFrom(...(op.pathParams.length ? op.pathParams : ['-']));
  const chance = (p: number) => fc.noBias(fc.integer({ min: 0, max: 999 })).map((x) => x < p * 1000);
  return fc
    .record({
      attack: fc.oneof(...attacks.map(([a, weight]) => ({ arbitrary: fc.constant(a), weight }))),
      ownSide: chance(0.9),
      auth: fc.constantFrom<'bearer' | 'x-api-key'>('bearer', 'bearer', 'x-api-key'),
      replay: chance(0.1),
      queryNoise: chance(0.15),
    })
    .chain(({ attack, ownSide, auth, replay, queryNoise }) =>
      fc.constantFrom(...(attack === 'other-party' ? partyKeys : allowedKeys)).chain((key) => {
        const keySide: 'A' | 'B' = key.endsWith('B') ? 'B' : 'A';
        const otherSide: 'A' | 'B' = keySide === 'A' ? 'B' : 'A';
        // Another party's records on purpose, or now and then by chance.
        const side = attack === 'other-party' || !ownSide ? otherSide : keySide;
        const params = side === 'A' ? paramsA : paramsB;
        const presentedKey: fc.Arbitrary<KeySlot> =
          attack === 'no-or-bad-key' ? fc.constantFrom<KeySlot>('none', 'unknown', 'revoked', 'expired', 'malformed')
            : attack === 'wrong-role' && otherRoles.length > 0 ? fc.constantFrom(...otherRoles)
              : fc.constant(key);
        return fc
          .record({
            params,
            query: baseQuery,
            body: baseBody,
            presented: presentedKey,
            injection,
            paramToBreak,
            pick: fc.nat(1_000_000),
          })
          .chain(({ params: drawn, query, body, presented, injection: injected, paramToBreak: broken, pick }) => {
            const pathParams = { ...drawn };
            let raw = false;
            if (attack === 'path-injection' && op.pathParams.length > 0) {
              pathParams[broken] = injected.value;
              raw = injected.raw;
            }
            if (attack === 'unknown-record' && op.pathParams.length > 0) {
              const target = op.pathParams.find((p) => p in SLOT_OF_PARAM) ?? broken;
              pathParams[target] = unknownParam(target);
            }
            const q = { ...(query as Record<string, string>) };
            if (attack === 'other-party' && op.method === 'GET' && op.path === '/orders') {
              if (key.startsWith('buyer')) q.buyerId = `@@buyer${otherSide}@@`;
              else q.supplierId = `@@supplier${otherSide}@@`;
            }
            const ownBody = body && typeof body === 'object' ? clone(body) : body;
            if (op.method === 'POST' && op.path === '/monitoring' && ownBody && typeof ownBody === 'object') {
              (ownBody as Record<string, unknown>).orderId = side === 'A' ? '@@orderA@@' : '@@orderB@@';
            }
            let path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
              const v = pathParams[name];
              if (v.startsWith('@@')) return v;
              return raw ? rawEncode(v) : encodeURIComponent(v);
            });
            const method = attack === 'wrong-method' && otherMethods.length > 0 ? otherMethods[pick % otherMethods.length] : op.method;
            if (attack === 'wrong-method' && otherMethods.length === 0) path = `${path}/x`;
            return fc.record({ query: queryFor(op, attack, q, queryNoise), body: bodyFor(op, attack, ownBody), idempotencyKey: fc.constantFrom(...BAD_IDEMPOTENCY_KEYS) }).map(
              ({ query: qs, body: b, idempotencyKey }): FuzzRequest => ({
                op: op.index,
                attack,
                method,
                key: presented,
                auth,
                path,
                query: qs,
                body: method === 'GET' ? { kind: 'none' } : b,
                replay,
                ...(attack === 'bad-idempotency-key' ? { idempotencyKey } : {}),
              }),
            );
          });
      }),
    );
}

const BAD_QUERY_VALUES = ['abc', '1.5', '-1', '0', '1e308', '99999999999999999999', '', ' ', '0x10', 'NaN', 'Infinity', "' OR 1=1 --", '../../etc', '😀', '\u0000', 'x'.repeat(3000), 'true', 'TRUE'];

function encodePairs(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function queryFor(op: Operation, attack: Attack, base: Record<string, string>, noise: boolean): fc.Arbitrary<string> {
  const pairs = Object.entries(base);
  const textParams = op.query.filter((q) => q.schema.type === 'string' && !q.schema.enum).map((q) => q.name);
  // With a body, the body's strings take the attack; otherwise (a read, an upload) the query's.
  if (attack === 'unsafe-text' && textParams.length > 0 && !hasStringField(op.body)) {
    return fc.constantFrom(...textParams).chain((name) =>
      unsafeFor(base[name], UNSAFE_IN_URLS).map((u) => encodePairs([...pairs.filter(([k]) => k !== name), [name, u]])));
  }
  if (attack === 'bad-cursor') {
    return fc.constantFrom(...BAD_CURSORS).map((cursor) => encodePairs([...pairs.filter(([k]) => k !== 'cursor'), ['cursor', cursor]]));
  }
  if (attack === 'query-injection' && op.query.length > 0) {
    return fc.oneof(
      // A documented parameter with a value of the wrong type or out of range.
      fc.tuple(fc.constantFrom(...op.query.map((q) => q.name)), fc.constantFrom(...BAD_QUERY_VALUES)).map(([name, v]) => encodePairs([...pairs.filter(([k]) => k !== name), [name, v]])),
      // A documented parameter twice (an array on the server).
      fc.constantFrom(...op.query.map((q) => q.name)).map((name) => encodePairs([...pairs.filter(([k]) => k !== name), [name, '1'], [name, '2']])),
      // A required parameter left out.
      fc.constant(encodePairs(pairs.filter(([k]) => !op.query.find((q) => q.name === k)?.required)).replace(/^$/, '')),
      // Unknown parameters and raw, undecodable text.
      fc.constantFrom('__proto__[isAdmin]=1', 'constructor=x', 'limit[]=1', 'a=%ZZ', '%00=%00', 'limit=%', `${'x'.repeat(2000)}=1`, 'status=PAID&status[0]=x').map((extra) =>
        [encodePairs(pairs), extra].filter(Boolean).join('&'),
      ),
    );
  }
  if (noise) return fc.constantFrom('debug=1', 'a=%ZZ', '__proto__=1', 'orderId=%00', `q=${encodeURIComponent('😀')}`).map((extra) => [encodePairs(pairs), extra].filter(Boolean).join('&'));
  return fc.constant(encodePairs(pairs));
}

function bodyFor(op: Operation, attack: Attack, base: unknown): fc.Arbitrary<FuzzRequest['body']> {
  if (op.upload) {
    if (attack === 'bad-file') {
      return fc.oneof(
        fc.constantFrom('text/plain', 'image/gif', 'application/json', 'image/svg+xml', 'text/html', 'application/x-msdownload', '').map((contentType) => ({ kind: 'sample' as const, sample: 'png' as const, contentType: contentType || undefined })),
        fc.constantFrom(...op.upload.types).map((contentType) => ({ kind: 'text' as const, text: '', contentType })),
        fc.constantFrom(...op.upload.types).map((contentType) => ({ kind: 'bytes' as const, fill: 0x41, size: op.upload!.maxBytes + 1, contentType })),
        fc.constantFrom(...op.upload.types).map((contentType) => ({ kind: 'sample' as const, sample: SAMPLE_OF_TYPE[contentType], contentType: `${contentType}; charset=utf-8` })),
      );
    }
    if (attack === 'mismatched-file') {
      // An accepted type, and bytes of another type or of none: HTML or SVG "as a PNG", a PNG "as a PDF".
      return fc.tuple(fc.constantFrom(...op.upload.types), fc.constantFrom(...(Object.keys(SAMPLE_FILES) as SampleName[])))
        .filter(([contentType, sample]) => SAMPLE_OF_TYPE[contentType] !== sample)
        .map(([contentType, sample]) => ({ kind: 'sample' as const, sample, contentType }));
    }
    return fc.constantFrom(...op.upload.types).map((contentType) => ({ kind: 'sample' as const, sample: SAMPLE_OF_TYPE[contentType], contentType }));
  }
  if (!op.body) return fc.constant({ kind: 'none' as const });
  const jsonType = fc.constantFrom(...JSON_TYPES);
  if (attack === 'wrong-content-type') {
    return fc.tuple(fc.constantFrom(...NON_JSON_TYPES, 'application/json; charset=latin1'), fc.constant(serialise(base)))
      .map(([contentType, text]) => ({ kind: 'text' as const, text, contentType }));
  }
  const mutated = ['missing-required', 'extra-field', 'wrong-type', 'bad-amount', 'hostile-string', 'huge-body', 'malformed-json', 'unsafe-text'].includes(attack)
    ? bodyMutation(op.body, attack, base)
    : fc.constant(serialise(base));
  return fc.tuple(mutated, jsonType).map(([text, contentType]) => ({ kind: 'text' as const, text, contentType }));
}
