/**
 * An Update Temporal rejected because the worker never saw it (its workflow task was lost) is sent
 * again, as it was, up to three times; any other Update failure is answered at once.
 */
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from '../../api/errors';
import { isUpdateNotProcessed, temporalCallFor } from '../../api/http';
import { ACTION_REFUSED } from '../../workflows/common';

const notProcessed = () =>
  new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker." }));
const refused = () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: ACTION_REFUSED, message: 'cannot ship: the order is unpaid', nonRetryable: true }));
// The calls here reach no server: the client only lends its connection's deadline.
const client = { connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() } } as unknown as Client;

function failing(times: number, err: () => Error) {
  let calls = 0;
  return {
    call: async () => {
      calls++;
      if (calls <= times) throw err();
      return 'ack';
    },
    calls: () => calls,
  };
}

describe('an Update the worker never saw', () => {
  it('is told apart from an Update the workflow refused', () => {
    expect(isUpdateNotProcessed(notProcessed())).toBe(true);
    expect(isUpdateNotProcessed(refused())).toBe(false);
    expect(isUpdateNotProcessed(new Error("wasn't processed by worker"))).toBe(false);
  });

  it('is sent again, and the answer is the first that is not that rejection', async () => {
    const f = failing(2, notProcessed);
    await expect(temporalCallFor(client, 'order:PO-1', 'order PO-1', f.call)).resolves.toBe('ack');
    expect(f.calls()).toBe(3);
  });

  it('gives the rejection back after three tries', async () => {
    const f = failing(10, notProcessed);
    await expect(temporalCallFor(client, 'order:PO-1', 'order PO-1', f.call)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    expect(f.calls()).toBe(3);
  });

  it("answers the workflow's refusal at once (409), without sending the Update again", async () => {
    const f = failing(10, refused);
    const err = await temporalCallFor(client, 'order:PO-1', 'order PO-1', f.call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'action_refused', message: 'cannot ship: the order is unpaid' });
    expect(f.calls()).toBe(1);
  });
});
