/**
 * The process skeleton's pure parts: the deadline list stays earliest first by instant, whatever
 * the year, and a due time Temporal cannot store as a Datetime search attribute is published as none.
 */
import { searchableDueAt, withDeadline } from '../../workflows/process-kit';

interface D {
  id: string;
  kind: string;
  dueAt: string;
  policyVersion: string;
}

const at = (s: string) => Date.parse(s);

test('keeps deadlines earliest first by instant, a year past 9999 last, a replaced one moved to its new place', () => {
  let list: D[] = [];
  list = withDeadline(list, { id: 'far', kind: 'shipping-date', dueAt: at('+010000-01-01T00:00:00.000Z') }, 'v');
  list = withDeadline(list, { id: 'soon', kind: 'deposit-due', dueAt: at('2026-12-15T00:00:00.000Z') }, 'v');
  list = withDeadline(list, { id: 'later', kind: 'draft-expiry', dueAt: at('2027-01-02T00:00:00.000Z') }, 'v');
  expect(list.map((d) => d.id)).toEqual(['soon', 'later', 'far']);
  expect(list[2].dueAt).toBe('+010000-01-01T00:00:00.000Z');
  // (As text, "+010000-…" sorts before "2026-…": a list sorted by text would put it first.)

  list = withDeadline(list, { id: 'soon', kind: 'deposit-due', dueAt: at('2027-02-01T00:00:00.000Z') }, 'v');
  expect(list.map((d) => d.id)).toEqual(['later', 'soon', 'far']);
  expect(list.every((d) => d.policyVersion === 'v')).toBe(true);
  // The same instant: by id.
  list = withDeadline(list, { id: 'also-later', kind: 'x', dueAt: at('2027-01-02T00:00:00.000Z') }, 'v');
  expect(list.map((d) => d.id)).toEqual(['also-later', 'later', 'soon', 'far']);
});

test('publishes a due time as a Datetime search attribute only when Temporal can store it', () => {
  expect(searchableDueAt('2026-12-15T00:00:00.000Z')).toEqual(new Date('2026-12-15T00:00:00.000Z'));
  expect(searchableDueAt('9999-12-31T00:00:00.000Z')).toEqual(new Date('9999-12-31T00:00:00.000Z'));
  expect(searchableDueAt('+010000-01-01T00:00:00.000Z')).toBeNull();
  expect(searchableDueAt(null)).toBeNull();
});
