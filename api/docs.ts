/**
 * GET /docs: the OpenAPI document as one self-contained HTML page (no scripts, no fonts, nothing
 * fetched from elsewhere), rendered on the server from the document itself.
 */
import { createHash } from 'node:crypto';
import { ERROR_SCHEMA_REF, JsonSchema, OpenApiDocument, OpenApiOperation } from './openapi';

function esc(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const operationAnchor = (operationId: string) => `op-${operationId}`;
export const tagAnchor = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9_-]/g, '-')}`;
export const ERROR_ANCHOR = 'schema-Error';

function typeOf(schema: JsonSchema): string {
  if (schema.$ref === ERROR_SCHEMA_REF) return `<a href="#${ERROR_ANCHOR}">Error</a>`;
  if (Array.isArray(schema.enum)) return 'one of ' + schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(', ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' or ');
  if (schema.type === 'array') return `array of ${typeOf((schema.items as JsonSchema) ?? {})}`;
  if (typeof schema.type === 'string') return esc(schema.type) + (typeof schema.format === 'string' ? ` (${esc(schema.format)})` : '');
  return 'any';
}

function constraints(schema: JsonSchema): string {
  const out: string[] = [];
  const add = (key: string, label: string) => {
    if (schema[key] !== undefined) out.push(`${esc(label)} ${esc(schema[key])}`);
  };
  add('minLength', 'length ≥');
  add('maxLength', 'length ≤');
  add('minimum', '≥');
  add('exclusiveMinimum', '>');
  add('maximum', '≤');
  add('exclusiveMaximum', '<');
  add('minItems', 'items ≥');
  add('maxItems', 'items ≤');
  if (typeof schema.pattern === 'string' && schema.format === undefined) out.push(`pattern <code>${esc(schema.pattern)}</code>`);
  if (schema.default !== undefined) out.push(`default <code>${esc(JSON.stringify(schema.default))}</code>`);
  if (typeof schema.contentMediaType === 'string') out.push(`media type ${esc(schema.contentMediaType)}`);
  return out.join('; ');
}

interface FieldRow {
  name: string;
  schema: JsonSchema;
  required: boolean;
}

/** Flattens an object schema into rows: items[].sku, card.number … */
function fieldRows(schema: JsonSchema, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  for (const [name, property] of Object.entries(properties)) {
    const full = prefix + name;
    rows.push({ name: full, schema: property, required: required.includes(name) });
    if (property.type === 'object') rows.push(...fieldRows(property, `${full}.`));
    const items = property.items as JsonSchema | undefined;
    if (property.type === 'array' && items?.type === 'object') rows.push(...fieldRows(items, `${full}[].`));
  }
  return rows;
}

function fieldTable(rows: FieldRow[], firstColumn = 'field'): string {
  if (rows.length === 0) return '<p class="none">no fields</p>';
  const body = rows
    .map(
      (r) =>
        `<tr><td><code>${esc(r.name)}</code></td><td>${typeOf(r.schema)}</td><td>${r.required ? 'required' : 'optional'}</td>` +
        `<td>${constraints(r.schema)}${typeof r.schema.description === 'string' ? ` <span class="note">${esc(r.schema.description)}</span>` : ''}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>${firstColumn}</th><th>type</th><th></th><th>constraints</th></tr></thead><tbody>${body}</tbody></table>`;
}

function renderOperation(method: string, path: string, op: OpenApiOperation): string {
  const roles = op['x-roles'].length ? op['x-roles'].map((r) => `<span class="role">${esc(r)}</span>`).join(' ') : '<span class="role public">public: no API key</span>';
  const parts: string[] = [
    `<section class="op" id="${esc(operationAnchor(op.operationId))}">`,
    `<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> <a class="self" href="#${esc(operationAnchor(op.operationId))}">#</a></h3>`,
    `<p class="summary">${esc(op.summary)}</p>`,
    op.description ? `<p>${esc(op.description)}</p>` : '',
    `<p><strong>Roles:</strong> ${roles}${op['x-ownership'] ? ` <span class="note">(${esc(op['x-ownership'])})</span>` : ''}</p>`,
  ];
  for (const where of ['path', 'query', 'header'] as const) {
    const params = op.parameters.filter((p) => p.in === where);
    if (params.length === 0) continue;
    parts.push(`<h4>${where === 'path' ? 'Path parameters' : where === 'query' ? 'Query parameters' : 'Headers'}</h4>`);
    parts.push(fieldTable(params.map((p) => ({ name: p.name, schema: { ...p.schema, ...(p.description ? { description: p.description } : {}) }, required: p.required })), 'name'));
  }
  if (op.requestBody) {
    const types = Object.keys(op.requestBody.content);
    if (types.length === 1 && types[0] === 'application/json') {
      const schema = op.requestBody.content['application/json'].schema;
      parts.push('<h4>Body <span class="note">application/json</span></h4>');
      parts.push(fieldTable(fieldRows(schema)));
      if (schema.additionalProperties === false) parts.push('<p class="note">No other fields are accepted.</p>');
    } else {
      parts.push(`<h4>Body <span class="note">a file: ${types.map((t) => `<code>${esc(t)}</code>`).join(', ')}</span></h4>`);
      if (op.requestBody.description) parts.push(`<p>${esc(op.requestBody.description)}</p>`);
    }
  }
  parts.push('<h4>Responses</h4><table><thead><tr><th>status</th><th>body</th><th>meaning</th></tr></thead><tbody>');
  for (const [status, response] of Object.entries(op.responses)) {
    const content = response.content ?? {};
    const body = Object.entries(content)
      .map(([type, media]) => (media.schema?.$ref === ERROR_SCHEMA_REF ? `<a href="#${ERROR_ANCHOR}">Error</a>` : `<code>${esc(type)}</code>`))
      .join(', ');
    const headers = Object.keys(response.headers ?? {}).map((h) => ` (header <code>${esc(h)}</code>)`).join('');
    parts.push(`<tr class="${Number(status) >= 400 ? 'err' : 'ok'}"><td>${esc(status)}</td><td>${body}</td><td>${esc(response.description)}${headers}</td></tr>`);
  }
  parts.push('</tbody></table></section>');
  return parts.join('\n');
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2329;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:1.5rem 2rem 4rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
h3{margin:.2rem 0;font-size:1.1rem}h4{margin:1rem 0 .3rem;font-size:.95rem}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;border-bottom:1px solid #e1e4e8;padding:.3rem .5rem;vertical-align:top}
th{background:#f0f2f5}.op{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem 1.2rem;margin:1.2rem 0}
.method{display:inline-block;min-width:3.5rem;text-align:center;color:#fff;border-radius:4px;padding:0 .4rem;font-size:.85rem}
.get{background:#1f6feb}.post{background:#1a7f37}.put{background:#9a6700}.patch{background:#8250df}.delete{background:#cf222e}
.role{display:inline-block;background:#ddf4ff;border:1px solid #54aeff;border-radius:10px;padding:0 .5rem;font-size:.85rem;margin-right:.2rem}
.role.public{background:#f6f8fa;border-color:#d0d7de}.note{color:#57606a;font-size:.9em}.none{color:#57606a;font-style:italic}
tr.err td:first-child{color:#cf222e}tr.ok td:first-child{color:#1a7f37}a.self{color:#8c959f;text-decoration:none;font-size:.9rem}
nav ul{columns:2;padding-left:1.2rem}nav li{break-inside:avoid}
`;

/**
 * The page's headers: its one inline style sheet is allowed by its hash and nothing else may load,
 * run, submit or frame it; the browser takes it as HTML only because it says so.
 */
export const DOCS_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function renderDocsPage(doc: OpenApiDocument): string {
  const operations: { tag: string; method: string; path: string; op: OpenApiOperation }[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op) operations.push({ tag: op.tags[0] ?? 'other', method, path, op });
    }
  }
  const tags = doc.tags.map((t) => t.name);
  const toc = tags
    .map((tag) => {
      const items = operations
        .filter((o) => o.tag === tag)
        .map((o) => `<li><a href="#${esc(operationAnchor(o.op.operationId))}"><code>${esc(o.method.toUpperCase())} ${esc(o.path)}</code></a> ${esc(o.op.summary)}</li>`)
        .join('');
      return `<h3><a href="#${esc(tagAnchor(tag))}">${esc(tag)}</a></h3><ul>${items}</ul>`;
    })
    .join('\n');
  const sections = tags
    .map((tag) => {
      const ops = operations.filter((o) => o.tag === tag).map((o) => renderOperation(o.method, o.path, o.op));
      return `<h2 id="${esc(tagAnchor(tag))}">${esc(tag)}</h2>\n${ops.join('\n')}`;
    })
    .join('\n');
  const errorSchema = doc.components.schemas.Error;
  const errorFields = fieldRows(errorSchema);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(doc.info.title)}</h1>
<p class="note">OpenAPI ${esc(doc.openapi)} · the machine-readable document is <code>GET /openapi.json</code></p>
<p>${esc(doc.info.description)}</p>
<p>Errors: every 4xx and 5xx answer has <a href="#${ERROR_ANCHOR}">the one error shape</a>.</p>
<nav id="contents"><h2>Operations</h2>
${toc}
</nav>
${sections}
<h2 id="${ERROR_ANCHOR}">Error</h2>
<p>The one shape of every error answer:</p>
<pre><code>{ "error": { "status": 400, "code": "invalid_input", "message": "items[0].quantity: must be positive",
             "fields": [ { "field": "items[0].quantity", "reason": "must be positive" } ] } }</code></pre>
${fieldTable(errorFields)}
<p><a href="#contents">Back to the operations</a></p>
</main></body></html>
`;
}
