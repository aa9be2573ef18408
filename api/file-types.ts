/**
 * What an uploaded file is, by its bytes rather than by what the caller says: the signatures
 * ("magic numbers") of the media types TradeGuard accepts, the check an upload's declared type
 * must pass, and how a stored file is handed back (its verified type only, never rendered by the
 * browser, under a name that cannot smuggle another type or a header in).
 */
import type { Response } from 'express';

/** Media types whose bytes TradeGuard can recognise, with the extension a download gets. */
export const KNOWN_FILE_TYPES: Readonly<Record<string, { extension: string; describe: string; matches: (bytes: Buffer) => boolean }>> = {
  'image/png': {
    extension: 'png',
    describe: 'a PNG image',
    // The full 8-byte signature: \x89 P N G CR LF SUB LF.
    matches: (b) => b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  'image/jpeg': {
    extension: 'jpg',
    describe: 'a JPEG image',
    // SOI marker followed by the start of another marker.
    matches: (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  },
  'application/pdf': {
    extension: 'pdf',
    describe: 'a PDF document',
    matches: (b) => b.length >= 5 && b.subarray(0, 5).toString('latin1') === '%PDF-',
  },
  'video/mp4': {
    extension: 'mp4',
    describe: 'an MP4 video',
    matches: isMp4,
  },
};

/**
 * An ISO base media file whose first box is `ftyp` with an "mp4…" brand among its major and
 * compatible brands (the WHATWG MIME Sniffing rule for video/mp4).
 */
function isMp4(b: Buffer): boolean {
  if (b.length < 12) return false;
  const boxSize = b.readUInt32BE(0);
  if (b.subarray(4, 8).toString('latin1') !== 'ftyp' || boxSize < 12 || boxSize % 4 !== 0 || boxSize > b.length) return false;
  if (b.subarray(8, 11).toString('latin1') === 'mp4') return true;
  for (let at = 16; at + 4 <= boxSize; at += 4) {
    if (b.subarray(at, at + 3).toString('latin1') === 'mp4') return true;
  }
  return false;
}

/** What the bytes are, among the known types; undefined when they are none of them. */
export function sniffFileType(bytes: Buffer): string | undefined {
  return Object.keys(KNOWN_FILE_TYPES).find((type) => KNOWN_FILE_TYPES[type].matches(bytes));
}

/** A few telling starts of files that are refused, to say what the bytes looked like instead. */
function looksLike(bytes: Buffer): string | undefined {
  const known = sniffFileType(bytes);
  if (known) return KNOWN_FILE_TYPES[known].describe;
  const head = bytes.subarray(0, 512).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'an SVG image';
  if (/^<(!doctype html|html|head|body|script|iframe|div|a |img )/.test(head)) return 'an HTML page';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'XML or HTML';
  if (bytes.subarray(0, 6).toString('latin1') === 'GIF87a' || bytes.subarray(0, 6).toString('latin1') === 'GIF89a') return 'a GIF image';
  if (bytes.subarray(0, 2).toString('latin1') === 'MZ') return 'a Windows program';
  if (bytes.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004') return 'a ZIP archive';
  return undefined;
}

/**
 * Why `bytes` are not of the `declared` type, or undefined when their signature is that type's.
 * Only a declared type TradeGuard can recognise passes: the route's list of accepted types is
 * checked before this.
 */
export function fileTypeMismatch(declared: string, bytes: Buffer): string | undefined {
  const known = KNOWN_FILE_TYPES[declared];
  if (known?.matches(bytes)) return undefined;
  const seen = looksLike(bytes);
  const expected = known ? known.describe : declared;
  return `the bytes are not ${expected} (Content-Type ${declared})${seen ? `: they look like ${seen}` : ': they do not start with its signature'}`;
}

/**
 * The type a stored file is served as: the type it was stored with when its bytes still have that
 * type's signature, else application/octet-stream (a file stored before uploads were checked, or
 * one whose metadata was changed, is never served as anything a browser would render).
 */
export function servedFileType(storedType: string, bytes: Buffer): string {
  return KNOWN_FILE_TYPES[storedType]?.matches(bytes) ? storedType : 'application/octet-stream';
}

/**
 * The name a download is offered under: the caller's name with its extension replaced by the one
 * of the type actually served, reduced to letters, digits, spaces and "_-()", so that neither the
 * name nor its extension can say another type, and nothing in it can end the header.
 */
export function downloadName(name: string, servedType: string): { ascii: string; unicode: string } {
  const extension = KNOWN_FILE_TYPES[servedType]?.extension ?? 'bin';
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const clean = (s: string, allowed: RegExp) =>
    s.replace(allowed, '_').replace(/_+/g, '_').replace(/^[\s_.]+|[\s_.]+$/g, '').slice(0, 100) || 'file';
  const unicode = clean(stem.normalize('NFC'), /[^\p{L}\p{N} _()-]/gu);
  const ascii = clean(stem, /[^A-Za-z0-9 _()-]/g);
  return { ascii: `${ascii}.${extension}`, unicode: `${unicode}.${extension}` };
}

/** How the download routes describe their answer in the OpenAPI document. */
export const DOWNLOAD_DESCRIPTION =
  'the file as an attachment (Content-Disposition: attachment, a safe file name with the extension of its type), served only as the type ' +
  'its bytes were verified to be at upload (X-Content-Type-Options: nosniff)';

// A file is data to save, never a page: if a browser renders it anyway, it runs nothing and loads nothing.
const FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox";

/**
 * Sends a stored file as a download: its verified type, `X-Content-Type-Options: nosniff`,
 * `Content-Disposition: attachment` with a safe name, and a policy that lets it run nothing.
 */
export function sendStoredFile(res: Response, stored: { contentType: string }, bytes: Buffer, name: string): void {
  const type = servedFileType(stored.contentType, bytes);
  const { ascii, unicode } = downloadName(name, type);
  res
    .status(200)
    .set('Content-Type', type)
    .set('X-Content-Type-Options', 'nosniff')
    .set('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(unicode)}`)
    .set('Content-Security-Policy', FILE_CONTENT_SECURITY_POLICY)
    .send(bytes);
}

/** RFC 5987 value characters: percent-encode everything else of the UTF-8 bytes. */
function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
