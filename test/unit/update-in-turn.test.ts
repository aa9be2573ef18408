/** The Updates of one workflow leave the API one at a time, in the order they came; other workflows' at once. */
import { TEMPORAL_ANSWER_MS, updateInTurn } from '../../api/http';
import { ApiError } from '../../api/errors';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('updateInTurn', () => {
  it('sends the next Update of a workflow only once the one before it has answered, in arrival order', async () => {
    const scope = {};
    const log: string[] = [];
    const gates = [gate(), gate(), gate()];
    const sends = gates.map((g, i) =>
      updateInTurn(scope, 'order:1', async () => {
        log.push(`start ${i}`);
        await g.opened;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await tick();
    expect(log).toEqual(['start 0']);
    gates[2].open(); // the third may not overtake the second
    gates[0].open();
    await expect(sends[0]).resolves.toBe(0);
    await tick();
    expect(log).toEqual(['start 0', 'end 0', 'start 1']);
    gates[1].open();
    await expect(Promise.all(sends)).resolves.toEqual([0, 1, 2]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('goes on after an Update that failed, and runs other workflows at once', async () => {
    const scope = {};
    const failed = updateInTurn(scope, 'order:1', async () => {
      throw new Error('refused');
    });
    const next = updateInTurn(scope, 'order:1', async () => 'next');
    const held = gate();
    const slow = updateInTurn(scope, 'order:2', async () => {
      await held.opened;
      return 'slow';
    });
    const other = updateInTurn(scope, 'order:3', async () => 'other');
    await expect(failed).rejects.toThrow('refused');
    await expect(next).resolves.toBe('next');
    await expect(other).resolves.toBe('other'); // not behind order:2's held Update
    held.open();
    await expect(slow).resolves.toBe('slow');
  });

  it('answers 503 without sending an Update whose turn does not come in time, and never sends it later; the next still waits its turn', async () => {
    const scope = {};
    const held = gate();
    const sent: string[] = [];
    const first = updateInTurn(scope, 'order:1', async () => {
      sent.push('first');
      await held.opened;
      return 'first';
    });
    const late = updateInTurn(
      scope,
      'order:1',
      async () => {
        sent.push('late');
        return 'late';
      },
      20,
    );
    const next = updateInTurn(scope, 'order:1', async () => {
      sent.push('next');
      return 'next';
    });
    const refusal = await late.catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 503, message: 'order:1 is still busy with the actions sent before this one; this action was not sent and nothing changed: send it again' });
    await tick();
    expect(sent).toEqual(['first']); // the next did not overtake the held one either
    held.open();
    await expect(first).resolves.toBe('first');
    await expect(next).resolves.toBe('next');
    expect(sent).toEqual(['first', 'next']);
  });

  it('gives each Update its whole time to answer from the moment it is sent, not from when it joined the queue', async () => {
    const deadlines: number[] = [];
    const connection = {
      withDeadline: <R>(deadline: number | Date, fn: () => Promise<R>) => {
        deadlines.push(Number(deadline));
        return fn();
      },
    };
    const scope = { connection };
    const held = gate();
    const first = updateInTurn(scope, 'order:1', () => held.opened);
    const queuedAt = Date.now();
    const second = updateInTurn(scope, 'order:1', async () => 'second');
    await new Promise((r) => setTimeout(r, 300));
    const releasedAt = Date.now();
    held.open();
    await first;
    await expect(second).resolves.toBe('second');
    expect(deadlines).toHaveLength(2);
    expect(deadlines[1]).toBeGreaterThanOrEqual(releasedAt + TEMPORAL_ANSWER_MS);
    expect(deadlines[1] - queuedAt).toBeGreaterThanOrEqual(TEMPORAL_ANSWER_MS + 250);
  });
});
