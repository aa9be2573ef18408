/** The Updates of one workflow leave the API one at a time, in the order they came; other workflows' at once. */
import { updateInTurn } from '../../api/http';

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
});
