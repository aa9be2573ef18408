/**
 * What text from outside may hold before TradeGuard stores it, shows it in the console and sends it
 * in an email. The API refuses anything else (api/schemas.ts `text`); an activity that must write
 * text it did not check itself makes it safe with `safeText`.
 *
 * - Well-formed Unicode. A lone surrogate (JSON's "\ud800") is not a character: JSON.stringify
 *   keeps it as an escape that PostgreSQL's jsonb refuses (22P02), so the activity writing the
 *   change could never succeed, and a text column silently turns it into U+FFFD.
 * - No control characters but newline (LF, or CR LF) and tab: C0, DEL and C1. ESC and BEL drive
 *   terminals, a lone CR sends the cursor back over what a line already showed, NUL cannot be
 *   stored at all, and U+0085 is a line break to some readers and not to others.
 * - No bidirectional embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069): they make a
 *   timeline line read differently from what it holds ("Trojan Source"). The marks U+200E, U+200F
 *   and U+061C stay allowed: names and addresses written right to left need them, and a mark sets
 *   the direction of nothing but the neutral characters beside it.
 */

/* eslint-disable no-control-regex -- control characters are what these look for */
// Matched with the u flag: a surrogate pair is one character there, so the range below is only
// ever a lone surrogate. The same source is the `pattern` of every free-text field in the OpenAPI
// document.
export const SAFE_TEXT = /^(?:[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]|\r\n)*$/u;
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/u;
const UNSAFE_CHARACTERS = /\r\n|[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/gu;
/* eslint-enable no-control-regex */

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `s` is not safe text, naming its first unsafe character and where it is; undefined when it is safe. */
export function unsafeTextReason(s: string): string | undefined {
  if (SAFE_TEXT.test(s)) return undefined;
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (!UNSAFE_CHARACTER.test(c) || (c === '\r' && chars[i + 1] === '\n')) continue;
    const at = `at character ${i + 1}`;
    const u = c.charCodeAt(0);
    if (u >= 0xd800 && u <= 0xdfff) {
      return `must be well-formed Unicode: a lone ${u < 0xdc00 ? 'high' : 'low'} surrogate (${codePoint(c)}) ${at} is not a character`;
    }
    if (u === 0) return 'must not contain NUL (\\u0000) characters';
    if (c === '\r') return `must not contain a carriage return (U+000D) other than before a newline (${at})`;
    if ((u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069)) {
      return `must not contain bidirectional embedding, override or isolate characters (${codePoint(c)} ${at})`;
    }
    return `must not contain control characters other than newline and tab (${codePoint(c)} ${at})`;
  }
  return 'must be well-formed Unicode text';
}

const toWellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

/**
 * `s` made safe to store and show: each lone surrogate becomes U+FFFD, CR LF becomes a newline,
 * every other unsafe character is dropped, and it is cut to `max` characters without splitting one.
 * For text an activity writes that no request schema checked (a failure's message, say).
 */
export function safeText(s: string, max: number): string {
  const clean = toWellFormed(String(s)).replace(UNSAFE_CHARACTERS, (c) => (c === '\r\n' ? '\n' : ''));
  const chars = [...clean];
  return chars.length <= max ? clean : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}
