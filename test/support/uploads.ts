/**
 * Helpers for the upload bursts of the e2e tests: send raw files, and check what storage holds
 * and what the API answered.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { expectError, Reply, TestStack } from './stack';

export interface Sent {
  sha256: string;
  reply: Reply;
}

export const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export const png = (tag: string): Buffer => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(tag)]);
export const pdf = (tag: string): Buffer => Buffer.from(`%PDF-1.4\n% ${tag}\n%%EOF\n`);

/** POSTs `bytes` as the raw body; the reply's body is its JSON, or its text when it is not JSON. */
export async function upload(stack: TestStack, key: string, route: string, contentType: string, bytes: Buffer): Promise<Sent> {
  const res = await fetch(`${stack.apiUrl}${route}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: bytes });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text, for the failure message
  }
  // A 5xx carries what the API logged about it, so a failure says why.
  const requestId = res.headers.get('x-request-id');
  const logged = res.status >= 500 && requestId ? { logged: stack.loggedErrors(requestId) } : {};
  return { sha256: sha(bytes), reply: { status: res.status, body, ...logged } };
}

/** Stored files (bytes and metadata) of these SHA-256s; no staged or temporary file is left anywhere. */
export function storedOf(stack: TestStack, shas: Set<string>): string[] {
  const names = fs.readdirSync(stack.storageDir);
  expect(names.filter((n) => /\.(staged|tmp)(\.json)?$/.test(n))).toEqual([]);
  return names.filter((n) => shas.has(n.slice(0, 64))).sort();
}

/** What storage holds for these files: the bytes and the metadata of each. */
export const filesOf = (shas: Iterable<string>): string[] => [...shas].flatMap((s) => [s, `${s}.json`]).sort();

/** No 5xx, and every answer but a 201 is a refusal (409 action_refused) in the one error shape. */
export function expectNoServerErrors(sent: Sent[]): void {
  expect(sent.filter((s) => s.reply.status >= 500).map((s) => s.reply)).toEqual([]);
  for (const s of sent) {
    if (s.reply.status !== 201) expectError(s.reply, 409, 'action_refused');
  }
}

/** Each file downloads from `route(fileId)` with the same bytes. */
export async function expectDownloads(stack: TestStack, key: string, route: (fileId: string) => string, files: Map<string, Buffer>): Promise<void> {
  for (const [fileId, bytes] of files) {
    const res = await fetch(`${stack.apiUrl}${route(fileId)}`, { headers: { authorization: `Bearer ${key}` } });
    expect({ fileId, status: res.status }).toEqual({ fileId, status: 200 });
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  }
}
