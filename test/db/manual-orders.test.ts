/**
 * A manual order's transitions against the suite's PostgreSQL: ops shipping it while a change/cancel
 * case cancels it at the same moment never leaves both done; the loser is refused with the status
 * that won, and the shipment row the self-check follows exists exactly when the order shipped.
 */
import { moveManualOrder } from '../../activities/manual-orders';
import { Db, createDb } from '../../infra/db';
import { testDatabaseUrl } from '../support/env';
import { createPaidManualOrder } from '../support/manual-order-fixtures';

let db: Db;

beforeAll(() => {
  db = createDb(testDatabaseUrl());
});

afterAll(async () => {
  await db?.$disconnect();
});

const paidManualOrder = () => createPaidManualOrder(db, 5_000);

describe('manual order transitions', () => {
  it('ship and cancel at once: exactly one wins, the other is refused with the status that won', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const id = await paidManualOrder();
      const [ship, cancel] = await Promise.all([
        moveManualOrder(db, id, 'ship', new Date(), { carrier: 'DHL', trackingNumber: `JD${i}` }),
        moveManualOrder(db, id, 'cancel', new Date()),
      ]);
      expect([ship.moved, cancel.moved].filter(Boolean)).toHaveLength(1);
      const row = await db.manualOrder.findUniqueOrThrow({ where: { id } });
      const shipment = await db.shipment.findUnique({ where: { id: `manual:${id}` } });
      if (ship.moved) {
        expect(row.status).toBe('SHIPPED');
        expect(shipment).not.toBeNull();
        expect(cancel).toMatchObject({ moved: false, refusal: `cannot cancel: manual order ${id} is shipped` });
      } else {
        expect(row.status).toBe('CANCELLED');
        expect(row.shippedAt).toBeNull();
        expect(shipment).toBeNull();
        expect(ship).toMatchObject({ moved: false, refusal: `cannot ship: manual order ${id} is cancelled` });
      }
      outcomes.push(row.status);
    }
    expect(outcomes.every((s) => s === 'SHIPPED' || s === 'CANCELLED')).toBe(true);
  });

  it('delivers only what shipped, once; an unknown order is named', async () => {
    const id = await paidManualOrder();
    expect(await moveManualOrder(db, id, 'deliver', new Date())).toMatchObject({ moved: false, refusal: `cannot record delivery: manual order ${id} is paid` });
    expect((await moveManualOrder(db, id, 'ship', new Date(), { carrier: 'DHL', trackingNumber: 'JD1' })).moved).toBe(true);
    const delivered = await moveManualOrder(db, id, 'deliver', new Date());
    expect(delivered.moved).toBe(true);
    expect((await db.shipment.findUniqueOrThrow({ where: { id: `manual:${id}` } })).inFlight).toBe(false);
    expect(await moveManualOrder(db, id, 'deliver', new Date())).toMatchObject({ moved: false, refusal: `cannot record delivery: manual order ${id} is delivered` });
    expect(await moveManualOrder(db, 'MO-none', 'ship', new Date())).toEqual({ moved: false, refusal: 'no manual order MO-none' });
  });
});
