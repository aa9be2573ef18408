import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowsPath } from '../../worker/worker';

const fixturesDir = path.join(__dirname, 'fixtures');
const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json')).sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8')));
}

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already in this process.
  }
});

describe('recorded histories replay with the current workflow code', () => {
  // Exactly the released histories: a deleted fixture fails here, and a newly recorded one is listed
  // here when it is committed.
  it('has every released fixture, and only those', () => {
    expect(fixtures).toEqual(
      [
        'case-v1-quality-partial-refund.json',
        'case-v2-notices-quality-partial-refund.json',
        'case-v3-code-revision-1-quality-partial-refund.json',
        'monitoring-v1-fail-reinspection.json',
        'monitoring-v2-linked-order.json',
        'monitoring-v3-notices-linked-order.json',
        'monitoring-v4-card-charged-cancelled.json',
        'monitoring-v5-closed-with-order.json',
        'monitoring-v6-code-revision-1-linked-order.json',
        'order-v1-full-deposit-by-ops.json',
        'order-v1-happy-path.json',
        'order-v10-code-revision-8-linked-monitoring.json',
        'order-v2-cancelled-in-window.json',
        'order-v2-claim-counter-offer-settled.json',
        'order-v2-happy-path.json',
        'order-v3-linked-monitoring.json',
        'order-v4-notices-claim-counter-offer-settled.json',
        'order-v4-notices-happy-path.json',
        'order-v4-notices-linked-monitoring.json',
        'order-v5-escrow-happy-path.json',
        'order-v5-escrow-two-claims-settled.json',
        'order-v6-revised-draft-refund-payout.json',
        'order-v7-code-revision-claim-refund.json',
        'order-v8-code-revision-7-cancelled-with-monitoring.json',
        'order-v9-code-revision-8-claim-refund.json',
        'po-request-v1-drafted.json',
        'self-check-v1-two-pages.json',
      ],
    );
  });

  it.each(fixtures)('%s', async (file) => {
    await expect(Worker.runReplayHistory({ workflowsPath: workflowsPath() }, load(file), file)).resolves.toBeUndefined();
  });

  it('catches a nondeterministic change', async () => {
    const err = await Worker.runReplayHistory(
      { workflowsPath: require.resolve('./nondeterministic') },
      load('order-v1-happy-path.json'),
      'nondeterministic',
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  });
});
