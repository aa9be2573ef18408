/** The read that answers an accepted action is asked again while its workflow is busy, and only then. */
import { readAfterAction } from '../../api/http';

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

describe('readAfterAction', () => {
  it.each([
    ['the Query buffer is full', bufferFull],
    ['the Query was not taken in time', notTakenInTime],
  ])('asks again while %s, and answers the first read that succeeds', async (_what, err) => {
    const r = failing(3, err);
    await expect(readAfterAction(r.read)).resolves.toBe('state');
    expect(r.calls()).toBe(4);
  });

  it('gives the refusal back once its time is spent, having asked more than once', async () => {
    const r = failing(1_000, bufferFull);
    await expect(readAfterAction(r.read, 400)).rejects.toBe(bufferFull);
    expect(r.calls()).toBeGreaterThan(1);
    expect(r.calls()).toBeLessThan(1_000);
  });

  it('does not ask again for any other error, the Update limit included', async () => {
    for (const err of [updatesInFlight, Object.assign(new Error('unavailable'), { code: 14 }), new Error('bug')]) {
      const r = failing(1, err);
      await expect(readAfterAction(r.read)).rejects.toBe(err);
      expect(r.calls()).toBe(1);
    }
  });
});
