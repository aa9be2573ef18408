/**
 * The read that answers an accepted action: asked again while its workflow is busy, and only then;
 * the reads of one record share Queries, each caller getting a read that started after it came.
 */
import { ApiError } from '../../api/errors';
import { ACTION_DONE_UNREAD, readAfterAction } from '../../api/http';

const bufferFull = Object.assign(new Error('consistent query buffer is full, cannot accept new consistent queries'), { code: 8 });
const notTakenInTime = Object.assign(new Error('context deadline exceeded'), { code: 4 });
const updatesInFlight = Object.assign(new Error('limit on number of concurrent in-flight updates has been reached'), { code: 8 });

function failing(times: number, err: Error) {
  let calls = 0;
  const read = async () => {
    calls++;
    if (calls <= times) throw err;
    return 'state';
  };
  return { read, calls: () => calls };
}

/** A read whose answers the test gives one at a time: each answer is the number of the read. */
function held() {
  const pending: (() => void)[] = [];
  let started = 0;
  const read = () => {
    const n = ++started;
    return new Promise<number>((resolve) => pending.push(() => resolve(n)));
  };
  const answerNext = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { read, started: () => started, answerNext };
}

describe('readAfterAction', () => {
  it.each([
    ['the Query buffer is full', bufferFull],
    ['the Query was not taken in time', notTakenInTime],
  ])('asks again while %s, and answers the first read that succeeds', async (_what, err) => {
    const r = failing(3, err);
    await expect(readAfterAction({}, 'order:1', r.read)).resolves.toBe('state');
    expect(r.calls()).toBe(4);
  });

  it('answers a 503 that says the action was done once its time is spent, having asked more than once', async () => {
    const r = failing(1_000, bufferFull);
    const err = await readAfterAction({}, 'order:1', r.read, 400).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: 'unavailable', message: ACTION_DONE_UNREAD, cause: bufferFull });
    expect(r.calls()).toBeGreaterThan(1);
    expect(r.calls()).toBeLessThan(1_000);
  });

  it('does not ask again for any other error, the Update limit included; Temporal not answering is still a 503 that says the action was done', async () => {
    for (const err of [updatesInFlight, Object.assign(new Error('unavailable'), { code: 14 })]) {
      const r = failing(1, err);
      await expect(readAfterAction({}, 'order:1', r.read)).rejects.toMatchObject({ status: 503, message: ACTION_DONE_UNREAD, cause: err });
      expect(r.calls()).toBe(1);
    }
    const bug = new Error('bug');
    const r = failing(1, bug);
    await expect(readAfterAction({}, 'order:1', r.read)).rejects.toBe(bug);
    expect(r.calls()).toBe(1);
  });

  it('runs one read of a record at a time; those who come meanwhile share the next, which starts after they came', async () => {
    const scope = {};
    const r = held();
    const first = readAfterAction(scope, 'order:1', r.read);
    const meanwhile = Array.from({ length: 10 }, () => readAfterAction(scope, 'order:1', r.read));
    const other = readAfterAction(scope, 'order:2', r.read); // another record reads at once
    expect(r.started()).toBe(2);
    await r.answerNext(); // read 1 (order:1): its caller has it, and the next read starts
    await expect(first).resolves.toBe(1);
    expect(r.started()).toBe(3);
    const later = readAfterAction(scope, 'order:1', r.read); // came after read 3 started: waits for a 4th
    await r.answerNext(); // read 2 (order:2)
    await expect(other).resolves.toBe(2);
    await r.answerNext(); // read 3: all ten that came during read 1
    await expect(Promise.all(meanwhile)).resolves.toEqual(Array(10).fill(3));
    expect(r.started()).toBe(4);
    await r.answerNext();
    await expect(later).resolves.toBe(4);
    // Nothing is left waiting: the next read starts at once.
    const again = readAfterAction(scope, 'order:1', r.read);
    expect(r.started()).toBe(5);
    await r.answerNext();
    await expect(again).resolves.toBe(5);
  });

  it('shares a failed read with those waiting on it only, and the next caller reads afresh', async () => {
    const scope = {};
    let calls = 0;
    const read = async () => {
      calls++;
      if (calls === 1) throw new Error('bug');
      return calls;
    };
    const [a, b] = [readAfterAction(scope, 'case:1', read), readAfterAction(scope, 'case:1', read)];
    await expect(a).rejects.toThrow('bug');
    await expect(b).resolves.toBe(2);
    await expect(readAfterAction(scope, 'case:1', read)).resolves.toBe(3);
  });
});
