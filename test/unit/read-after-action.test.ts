/** The read that answers an accepted action is asked again while Temporal's Query buffer is full, and only then. */
import { readAfterAction } from '../../api/http';

const bufferFull = Object.assign(new Error('consistent query buffer is full, cannot accept new consistent queries'), { code: 8 });
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
  it('asks again while the Query buffer is full, and answers the first read that succeeds', async () => {
    const r = failing(3, bufferFull);
    await expect(readAfterAction(r.read)).resolves.toBe('state');
    expect(r.calls()).toBe(4);
  });

  it('gives the refusal back after its tries', async () => {
    const r = failing(10, bufferFull);
    await expect(readAfterAction(r.read, 3)).rejects.toBe(bufferFull);
    expect(r.calls()).toBe(3);
  });

  it('does not ask again for any other error, the Update limit included', async () => {
    for (const err of [updatesInFlight, Object.assign(new Error('unavailable'), { code: 14 }), new Error('bug')]) {
      const r = failing(1, err);
      await expect(readAfterAction(r.read)).rejects.toBe(err);
      expect(r.calls()).toBe(1);
    }
  });
});
