/**
 * The weekly tracking self-check's activities: check one page of in-flight shipments with the
 * carrier (heartbeating per shipment, resuming from the last heartbeat on retry), and open one
 * proactive tracking case per flagged shipment and problem.
 */
import { activityInfo, heartbeat, log } from '@temporalio/activity';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { CarrierTracking, TrackingStatus } from '../adapters/carrier';
import type { Db } from '../infra/db';
import { CURRENT_AFTER_SERVICE_POLICY_VERSION, afterServicePolicy, caseWindow } from '../workflows/after-service.policy';
import { CASE_CODE_REVISION, CASE_WORKFLOW_TYPE, CaseInput, TrackingProblem, caseWorkflowId, proactiveCaseId } from '../workflows/case.messages';
import { caseStartMetadata } from '../workflows/ui-metadata';
import { describeProblem, trackingProblem } from '../workflows/self-check.policy';
import { DAY_MS } from '../workflows/common';

export interface ShipmentPageRequest {
  /** The check's instant (ISO), the same for every page of one weekly check. */
  checkedAt: string;
  /** Keyset cursor: the last shipment id of the previous page. */
  afterId?: string;
  pageSize: number;
  carriers?: string[];
}

export interface FlaggedShipment {
  shipmentId: string;
  source: 'order' | 'manual';
  orderId: string;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
  problem: TrackingProblem;
  carrierStatus: TrackingStatus;
  lastEventAt?: string;
}

export interface ShipmentPage {
  checked: number;
  delivered: number;
  flagged: FlaggedShipment[];
  /** The cursor for the next page; absent when this page was the last. */
  nextCursor?: string;
}

/** What a page's attempt has done so far, kept in its heartbeat so a retry resumes after `lastId`. */
interface PageProgress {
  lastId?: string;
  checked: number;
  delivered: number;
  flagged: FlaggedShipment[];
}

export interface CaseOpening {
  opened: string[];
  alreadyOpen: string[];
  outsideWindow: string[];
  orderMissing: string[];
}

interface OpeningProgress extends CaseOpening {
  done: number;
}


function validInstant(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function createSelfCheckActivities({ db, carrier, temporal }: { db: Db; carrier: CarrierTracking; temporal: { client: Client; taskQueue: string } }) {
  const policy = afterServicePolicy(CURRENT_AFTER_SERVICE_POLICY_VERSION);

  return {
    /**
     * Checks up to `pageSize` in-flight shipments after the cursor, in id order: records what the
     * carrier says (a newer check is never overwritten by an older one), takes delivered parcels out
     * of flight, and returns the flagged ones.
     */
    async checkShipmentsPage(req: ShipmentPageRequest): Promise<ShipmentPage> {
      const checkedAt = new Date(req.checkedAt);
      const resumed = activityInfo().heartbeatDetails as PageProgress | undefined;
      const progress: PageProgress = resumed ?? { checked: 0, delivered: 0, flagged: [] };
      const after = progress.lastId ?? req.afterId;
      const remaining = req.pageSize - progress.checked;
      if (resumed) log.info('self-check page resumed from its heartbeat', { after, checked: progress.checked });
      if (remaining <= 0) return { checked: progress.checked, delivered: progress.delivered, flagged: progress.flagged, nextCursor: progress.lastId };

      const rows = await db.shipment.findMany({
        where: { inFlight: true, ...(after ? { id: { gt: after } } : {}), ...(req.carriers ? { carrier: { in: req.carriers } } : {}) },
        orderBy: { id: 'asc' },
        take: remaining,
        select: { id: true, source: true, orderId: true, carrier: true, trackingNumber: true, shippedAt: true },
      });
      for (const row of rows) {
        const info = await carrier.track(row.carrier, row.trackingNumber);
        const lastEvent = validInstant(info.lastUpdateAt);
        const delivered = info.status === 'Delivered';
        await db.shipment.updateMany({
          where: { id: row.id, OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lte: checkedAt } }] },
          data: {
            lastStatus: info.status,
            lastEventAt: lastEvent ?? null,
            lastCheckedAt: checkedAt,
            ...(delivered ? { inFlight: false, deliveredAt: lastEvent ?? checkedAt } : {}),
          },
        });
        progress.checked += 1;
        if (delivered) progress.delivered += 1;
        const problem = trackingProblem(policy, { status: info.status, lastUpdateAt: lastEvent?.toISOString() }, row.shippedAt.getTime(), checkedAt.getTime());
        if (problem) {
          progress.flagged.push({
            shipmentId: row.id,
            source: row.source === 'manual' ? 'manual' : 'order',
            orderId: row.orderId,
            carrier: row.carrier,
            trackingNumber: row.trackingNumber,
            shippedAt: row.shippedAt.toISOString(),
            problem,
            carrierStatus: info.status,
            ...(lastEvent ? { lastEventAt: lastEvent.toISOString() } : {}),
          });
        }
        progress.lastId = row.id;
        // A snapshot: the details may be sent after later shipments have changed `progress`.
        heartbeat({ ...progress, flagged: [...progress.flagged] });
      }
      const full = rows.length === remaining;
      return {
        checked: progress.checked,
        delivered: progress.delivered,
        flagged: progress.flagged,
        ...(full && progress.lastId ? { nextCursor: progress.lastId } : {}),
      };
    },

    /**
     * Opens one tracking case per flagged shipment and problem, once ever: the case's workflow id
     * comes from the pair and a used id is never reused, so a second weekly check (or a retry) finds
     * it already started. A shipment past the tracking after-service window gets no case.
     */
    async openProactiveCases({ checkedAt, flagged }: { checkedAt: string; flagged: FlaggedShipment[] }): Promise<CaseOpening> {
      const resumed = activityInfo().heartbeatDetails as OpeningProgress | undefined;
      const progress: OpeningProgress = resumed ?? { done: 0, opened: [], alreadyOpen: [], outsideWindow: [], orderMissing: [] };
      const todo = flagged.slice(progress.done);
      const orderIds = todo.filter((f) => f.source === 'order').map((f) => f.orderId);
      const manualIds = todo.filter((f) => f.source === 'manual').map((f) => f.orderId);
      const [orders, manuals] = await Promise.all([
        orderIds.length ? db.order.findMany({ where: { id: { in: orderIds } }, omit: { view: true } }) : [],
        manualIds.length ? db.manualOrder.findMany({ where: { id: { in: manualIds } } }) : [],
      ]);
      const now = Date.parse(checkedAt);

      for (const f of todo) {
        const caseId = proactiveCaseId(f.shipmentId, f.problem);
        const input = caseInputFor(f, caseId, checkedAt, orders, manuals);
        if (!input) {
          log.warn('flagged shipment without an order in the read model; no case opened', { shipmentId: f.shipmentId, orderId: f.orderId });
          progress.orderMissing.push(caseId);
        } else {
          const ms = (iso?: string) => (iso ? Date.parse(iso) : undefined);
          const window = caseWindow(policy, 'TRACKING', { paidAt: ms(input.facts.paidAt), shippedAt: ms(input.facts.shippedAt), recallable: false }, now);
          if (!window.open) {
            progress.outsideWindow.push(caseId);
          } else {
            try {
              await temporal.client.workflow.start(CASE_WORKFLOW_TYPE, {
                taskQueue: temporal.taskQueue,
                workflowId: caseWorkflowId(caseId),
                args: [input],
                ...caseStartMetadata(input),
                workflowIdReusePolicy: 'REJECT_DUPLICATE',
                workflowIdConflictPolicy: 'FAIL',
              });
              progress.opened.push(caseId);
            } catch (err) {
              if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
              progress.alreadyOpen.push(caseId);
            }
          }
        }
        progress.done += 1;
        heartbeat({ done: progress.done, opened: [...progress.opened], alreadyOpen: [...progress.alreadyOpen], outsideWindow: [...progress.outsideWindow], orderMissing: [...progress.orderMissing] });
      }
      const { done: _done, ...opening } = progress;
      return opening;
    },
  };
}

type OrderRow = Omit<Awaited<ReturnType<Db['order']['findMany']>>[number], 'view'>;
type ManualOrderRow = Awaited<ReturnType<Db['manualOrder']['findMany']>>[number];

/** The case's input from the order (or manual order) row, or undefined when the row is missing. */
function caseInputFor(f: FlaggedShipment, caseId: string, checkedAt: string, orders: OrderRow[], manuals: ManualOrderRow[]): CaseInput | undefined {
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
  let order: CaseInput['order'];
  let paidAt: string | undefined;
  let shippedAt: string;
  if (f.source === 'order') {
    const row = orders.find((o) => o.id === f.orderId);
    if (!row) return undefined;
    order = { source: 'order', orderId: row.id, buyerId: row.buyerId, supplierId: row.supplierId, currency: row.currency, paidAmount: Number(row.paidAmount) };
    shippedAt = iso(row.shippedAt) ?? f.shippedAt;
    // Orders recorded before the payment instant was kept: a shipped order was paid by its shipment.
    paidAt = iso(row.paidAt) ?? (row.paidAmount > 0n ? shippedAt : undefined);
  } else {
    const row = manuals.find((m) => m.id === f.orderId);
    if (!row) return undefined;
    order = {
      source: 'manual',
      orderId: row.id,
      ...(row.buyerId ? { buyerId: row.buyerId } : {}),
      customerEmail: row.customerEmail,
      currency: row.currency,
      paidAmount: Number(row.totalAmount),
    };
    shippedAt = iso(row.shippedAt) ?? f.shippedAt;
    paidAt = row.paidAt.toISOString();
  }
  const policy = afterServicePolicy(CURRENT_AFTER_SERVICE_POLICY_VERSION);
  const since = f.lastEventAt ?? shippedAt;
  const days = Math.floor((Date.parse(checkedAt) - Date.parse(since)) / DAY_MS);
  const description =
    `Weekly tracking self-check of ${checkedAt.slice(0, 10)}: ${describeProblem(f.problem, policy.staleTrackingDays)}. ` +
    `Parcel ${f.trackingNumber} with ${f.carrier}, shipped ${shippedAt.slice(0, 10)}; carrier status ${f.carrierStatus}, ` +
    (f.lastEventAt ? `last tracking event ${f.lastEventAt} (${days} days before the check). ` : `no tracking event since the shipment (${days} days before the check). `) +
    'Opened by the after-service team before the customer complained.';
  return {
    caseId,
    type: 'TRACKING',
    order,
    facts: { ...(paidAt ? { paidAt } : {}), shippedAt, recallable: false },
    description,
    proactive: { shipmentId: f.shipmentId, problem: f.problem, carrierStatus: f.carrierStatus, ...(f.lastEventAt ? { lastEventAt: f.lastEventAt } : {}), detectedAt: checkedAt },
    policyVersion: CURRENT_AFTER_SERVICE_POLICY_VERSION,
    openedBy: { role: 'system' },
    codeRevision: CASE_CODE_REVISION,
  };
}
