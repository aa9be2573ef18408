/**
 * The ops console in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the real API, worker and PostgreSQL. The stack runs on the time-skipping test server
 * with the real activities and on a database of its own, so that a monitoring report really
 * becomes late (the workflow's own timer, its activities writing the late-task row the API
 * reads) and every link the console renders points at something this stack holds.
 *
 * Signs in (a wrong key is refused), finds the late task in the queue, acknowledges (sending the
 * same Idempotency-Key again after a dropped connection), assigns and resolves it and sees it leave
 * the queue; a stale tab resolving it again is shown the API's
 * refusal; uploads the late report and enters a manual order through the forms; resolves a case;
 * follows every link the pages render. Screenshots go to test-output/console-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureDatabase } from '../../infra/pg-admin';
import { applyMigrations } from '../../infra/migrate';
import { rate } from '../../workflows/after-service-report';
import { getCalendar, localDate } from '../../workflows/calendar';
import { testDatabaseUrl, uniqueId } from '../support/env';
import { apiClient, eventually, startTestStack, TestStack, draftFromRequest } from '../support/stack';
import { startTimeSkipping } from '../support/time-skipping';

// Functions handed to page.evaluate and waitForFunction run in the browser; these are the DOM names they use.
interface BrowserElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  getElementById(id: string): BrowserElement | null;
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // CI installs Debian's chromium (.ci/run); elsewhere the browser test is skipped, saying why.
  console.warn(`console.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}
const describeWithBrowser = haveChromium ? describe : describe.skip;

const OUTPUT = path.join(__dirname, '..', '..', 'test-output');
const MINUTE = 60_000;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const databaseName = `tg_console_${process.pid}_${Date.now().toString(36)}`;
let databaseUrl: string;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let stack: TestStack;
let call: ReturnType<typeof apiClient>;
let browser: Browser;
let clockOffset = 0;

describeWithBrowser('the ops console in a browser', () => {
  beforeAll(async () => {
    await ensureDatabase(testDatabaseUrl(), databaseName);
    const u = new URL(testDatabaseUrl());
    u.pathname = `/${databaseName}`;
    databaseUrl = u.toString();
    await applyMigrations(databaseUrl);
    ({ env, bundle } = await startTimeSkipping());
    // "Overdue" is measured on the test server's clock, which runs ahead once time is skipped.
    stack = await startTestStack({
      databaseUrl,
      temporal: { client: env.client, nativeConnection: env.nativeConnection, workflowBundle: bundle },
      app: { clock: () => Date.now() + clockOffset },
    });
    call = apiClient(stack.apiUrl);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    fs.mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await env?.teardown();
    const admin = new PgClient({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  });

  /** Waits until the console has rendered `route` (the part after #) completely. */
  async function rendered(page: Page, route: string): Promise<void> {
    await page.waitForFunction(
      (r) => {
        const main = document.getElementById('main');
        return main?.getAttribute('aria-busy') === 'false' && main.dataset.route === r;
      },
      route,
    );
  }

  /** Waits until an action's confirmation is shown above the page it re-rendered. */
  async function confirmed(page: Page, message: string): Promise<void> {
    await page.waitForFunction(
      (m) => document.getElementById('flash')?.textContent?.includes(m) === true && document.getElementById('main')?.getAttribute('aria-busy') === 'false',
      message,
    );
  }

  async function open(page: Page, route: string): Promise<void> {
    await page.goto(`${stack.apiUrl}/console#${route}`);
    await rendered(page, route);
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${stack.apiUrl}/console`);
    await rendered(page, '/sign-in?next=%2F');
    await page.fill('input[name=apiKey]', key);
    await page.click('form.sign-in button[type=submit]');
    await rendered(page, '/');
  }

  /** A monitoring task whose report is late: booked, paid, inspected, then the clock skips past the report's due time. */
  async function lateReport(): Promise<{ monitoringId: string; orderId: string; buyerId: string }> {
    const buyerId = uniqueId('buyer');
    const supplierId = uniqueId('supplier');
    for (const [id, kind] of [[buyerId, 'buyer'], [supplierId, 'supplier']]) {
      expect((await call(stack.opsKey, 'POST', '/parties', { id, kind, name: `${kind} ${id}`, email: `${id}@example.com` })).status).toBe(201);
    }
    const supplierKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'supplier', role: 'supplier', partyId: supplierId })).body.apiKey.key;
    const buyerKey = (await call(stack.opsKey, 'POST', '/api-keys', { name: 'buyer', role: 'buyer', partyId: buyerId })).body.apiKey.key;
    const drafted = await draftFromRequest(stack.apiUrl, { buyerKey, supplierKey, supplierId }, {
      buyerId,
      currency: 'USD',
      items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 500, unitPrice: 1250 }],
      depositAmount: 210_000,
      shippingDate: new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10),
      shippingMarks: 'ACME / C/No. 1-50',
      packaging: '10 units per export carton',
    });
    expect(drafted.status).toBe(201);
    const orderId: string = drafted.body.orderId;
    const booked = await call(buyerKey, 'POST', '/monitoring', { orderId, addedVia: 'ORDER_DETAILS_SEPARATE', innerCartonMarkings: 'BT-SPK-200 x10' });
    expect(booked.status).toBe(201);
    const monitoringId: string = booked.body.monitoringId;
    const act = (key: string, action: string, body: unknown) => call(key, 'POST', `/monitoring/${monitoringId}/${action}`, body);
    expect((await act(buyerKey, 'pay', { card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } })).status).toBe(200);
    const today = localDate(getCalendar('CN'), await env.currentTimeMs());
    expect((await act(stack.opsKey, 'assign-inspector', { inspector: 'Li Wei', checkDate: today })).status).toBe(200);
    const checked = await act(stack.opsKey, 'check', {
      observed: { productName: 'Bluetooth speaker', quantity: 500, shippingMarks: 'ACME / C/No. 1-50', packaging: '10 units per export carton', innerCartonMarkings: 'BT-SPK-200 x10' },
      lotSize: 500,
      sampleInspected: 50,
      defects: { critical: 0, major: 0, minor: 1 },
    });
    expect(checked.status).toBe(200);
    const reportLate = (checked.body.monitoring.deadlines as { kind: string; dueAt: string }[]).find((d) => d.kind === 'report-late');
    expect(reportLate).toBeDefined();
    // The workflow's own timer fires and its activities record the escalation.
    await env.sleep(Date.parse(reportLate!.dueAt) - (await env.currentTimeMs()) + MINUTE);
    clockOffset = (await env.currentTimeMs()) - Date.now();
    return { monitoringId, orderId, buyerId };
  }

  it('signs in, works the late-task queue, shows refusals, acts on the records, and renders no dead link', async () => {
    const { monitoringId, orderId } = await lateReport();
    const task = (
      await eventually(
        () => call(stack.opsKey, 'GET', '/late-tasks?status=open'),
        (r) => r.status === 200 && r.body.tasks.some((t: { resourceId: string }) => t.resourceId === monitoringId),
        'the late report in the late-task queue',
      )
    ).body.tasks.find((t: { resourceId: string }) => t.resourceId === monitoringId) as { id: string; summary: string };

    // A wrong key is refused with the API's message; the ops key signs in to the queue.
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    // Every POST the console sends, with its Idempotency-Key.
    const posts: { url: string; key?: string }[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push({ url: r.url(), key: r.headers()['idempotency-key'] });
    });
    await page.goto(`${stack.apiUrl}/console`);
    await rendered(page, '/sign-in?next=%2F');
    await page.fill('input[name=apiKey]', 'tg_not-a-key');
    await page.click('form.sign-in button[type=submit]');
    await page.waitForSelector('.refusal[data-status="401"]');
    expect(await page.textContent('.refusal .message')).toBe('unknown, revoked or expired API key');
    await page.fill('input[name=apiKey]', stack.opsKey);
    await page.click('form.sign-in button[type=submit]');
    await rendered(page, '/');

    const row = page.locator(`tr[data-task-id="${task.id}"]`);
    expect(await row.getAttribute('data-task-status')).toBe('open');
    // Its age at a glance: a bar, drawn by the console.
    expect(await row.locator('svg.age-bar rect.fill').count()).toBe(1);
    expect(await row.textContent()).toContain(task.summary);
    expect(await row.locator(`a[href="#/monitoring/${monitoringId}"]`).count()).toBe(1);
    // The report's deadline has passed and left the list; the order's draft expiry is still open.
    const deadlinesSection = await page.locator('section', { hasText: 'Open deadlines' }).textContent();
    expect(deadlinesSection).toContain(`order ${orderId}`);
    expect(deadlinesSection).toContain('draft expiry');
    await page.screenshot({ path: path.join(OUTPUT, 'console-queue.png'), fullPage: true });

    // A second tab, signed in and showing the same queue, goes stale below.
    const stale = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await signIn(stale, stack.opsKey);
    expect(await stale.locator(`tr[data-task-id="${task.id}"]`).count()).toBe(1);

    // Acknowledge, assign, resolve: each is the API's answer, and the resolved task leaves the queue. The
    // first acknowledgement gets no answer (a dropped connection); pressed again, it is sent with the same
    // Idempotency-Key, so that it is not done twice if the first one got through.
    await page.route('**/late-tasks/*/acknowledge', (route) => route.abort('connectionreset'), { times: 1 });
    await row.locator('form[data-action="acknowledge"] button').click();
    await row.locator('.refusal[data-status="0"]').waitFor();
    await row.locator('form[data-action="acknowledge"] button').click();
    await page.waitForSelector(`tr[data-task-id="${task.id}"][data-task-status="acknowledged"]`);
    expect(await page.textContent('#flash')).toContain('Late task acknowledged');
    const acknowledgements = posts.filter((p) => p.url.endsWith('/acknowledge'));
    expect(acknowledgements).toHaveLength(2);
    expect(acknowledgements[1].key).toBe(acknowledgements[0].key);
    await row.locator('input[name=assignee]').fill('Ana Ops');
    await row.locator('form[data-action="assign"] button').click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-task-id="${id}"]`)?.textContent?.includes('Assigned to Ana Ops'), task.id);
    await row.locator('input[name=note]').fill('inspector chased; report promised today');
    await row.locator('form[data-action="resolve"] button').click();
    await confirmed(page, 'has left the queue');
    expect(await page.locator(`tr[data-task-id="${task.id}"]`).count()).toBe(0);
    const resolved = await call(stack.opsKey, 'GET', '/late-tasks?status=resolved');
    expect(resolved.body.tasks.find((t: { id: string }) => t.id === task.id)).toMatchObject({ status: 'resolved', assignee: 'Ana Ops' });
    await page.screenshot({ path: path.join(OUTPUT, 'console-resolved.png'), fullPage: true });

    // The stale tab resolves it again: the API refuses, and the console shows its message where the button is.
    const staleRow = stale.locator(`tr[data-task-id="${task.id}"]`);
    await staleRow.locator('input[name=note]').fill('done');
    await staleRow.locator('form[data-action="resolve"] button').click();
    const refusal = staleRow.locator('.refusal');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-status')).toBe('409');
    expect(await refusal.locator('.message').textContent()).toMatch(/resolved/);
    await stale.screenshot({ path: path.join(OUTPUT, 'console-refusal.png'), fullPage: true });
    await stale.close();

    // The task's page: state, the fee in dollars, the late badge, deadlines and timeline; the report is uploaded from it.
    await open(page, `/monitoring/${monitoringId}`);
    const heading = await page.textContent('h1');
    expect(heading).toContain('AWAITING REPORT');
    expect(heading).toContain('LATE');
    expect(await page.textContent('table.amounts')).toContain('USD 299.00');
    expect(await page.textContent('ol.timeline')).toMatch(/Report late/);
    // Only what is possible now is a form: the check is recorded, so no inspector is assigned any more;
    // the reason is the workflow's own, listed beside the forms.
    expect(await page.locator('form[data-action="assign-inspector"]').count()).toBe(0);
    expect(await page.textContent('details.refused-actions')).toMatch(/assign-inspector: cannot assign an inspector: an inspector is assigned once per inspection/);
    // Cancelling and deselecting are one Update; only cancelling is possible after the check.
    expect(await page.locator('form[data-action="cancel"]').count()).toBe(1);
    expect(await page.locator('form[data-action="deselect"]').count()).toBe(0);
    expect(await page.textContent('details.refused-actions')).toMatch(/deselect: cannot deselect the service: it can be deselected only before the on-site check/);
    await page.setInputFiles('form[data-action="upload-report"] input[type=file]', { name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.click('form[data-action="upload-report"] button');
    await confirmed(page, 'Report uploaded');
    expect(await page.textContent('h1')).toContain('REPORT READY');
    expect(await page.locator('table.list', { hasText: 'report.pdf' }).count()).toBe(1);

    // A manual order entered through the form; a refusal names the field first.
    await open(page, '/manual-orders/new');
    const form = page.locator('form[data-action="open-manual-order"]');
    for (const [name, value] of Object.entries({ customerName: 'Ana Lima', customerEmail: 'ana@customer.example', sku: 'BT-SPK-200', quantity: '2', total: '50', line1: 'Rua Augusta 10', city: 'São Paulo', postalCode: '01305-000', country: 'Brazil', reason: 'ordered by phone' })) {
      await form.locator(`input[name=${name}]`).fill(value);
    }
    await form.locator('button').click();
    await form.locator('.refusal[data-status="400"]').waitFor();
    expect(await form.locator('.refusal ul.fields').textContent()).toContain('address.country');
    await form.locator('input[name=country]').fill('BR');
    await form.locator('button').click();
    await page.waitForFunction(() => document.getElementById('main')?.dataset.page === 'manual-order' && document.getElementById('main')?.getAttribute('aria-busy') === 'false');
    const manualOrderId = (await page.evaluate(() => document.getElementById('main')!.dataset.route!)).split('/').pop()!;
    expect(await page.textContent('#flash')).toContain(`Manual order ${manualOrderId} entered`);
    expect(await page.textContent('main')).toContain('USD 50.00');

    // A case on it, resolved from its page.
    expect((await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/ship`, { carrier: 'Correios', trackingNumber: 'BR123456789' })).status).toBe(200);
    expect((await call(stack.opsKey, 'POST', `/manual-orders/${manualOrderId}/deliver`, {})).status).toBe(200);
    const opened = await call(stack.opsKey, 'POST', '/cases', { orderId: manualOrderId, orderSource: 'manual', type: 'RETURN', description: 'does not want them any more' });
    expect(opened.status).toBe(201);
    const caseId: string = opened.body.caseId;
    await open(page, `/cases/${caseId}`);
    const resolveForm = page.locator('form[data-action="resolve-case"]');
    await resolveForm.locator('select[name=kind]').selectOption('REJECTED');
    await resolveForm.locator('input[name=reason]').fill('the customer withdrew the request by phone');
    await resolveForm.locator('button').click();
    await confirmed(page, `Case ${caseId} resolved`);
    expect(await page.textContent('main')).toContain('REJECTED: the customer withdrew the request by phone');

    // Every link every page renders lands on a page that renders, or an API page that answers 200.
    const problems: string[] = [];
    const seen = new Set<string>();
    const queue = ['/', '/late-tasks?status=resolved', '/deadlines', '/orders', `/orders/${orderId}`, '/monitoring', `/monitoring/${monitoringId}`, '/cases', `/cases/${caseId}`, '/manual-orders', '/search?q=PO'];
    const external = new Set<string>();
    while (queue.length > 0 && seen.size < 80) {
      const route = queue.shift()!;
      if (seen.has(route)) continue;
      seen.add(route);
      await open(page, route);
      const state = await page.evaluate(() => {
        const main = document.getElementById('main')!;
        return {
          page: main.dataset.page,
          error: main.dataset.errorStatus ?? null,
          message: document.querySelector('main .refusal .message')?.textContent ?? '',
          hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')!),
        };
      });
      // The requests' list reads Temporal's visibility, which the time-skipping test server this stack runs on lacks.
      if (route === '/po-requests' && state.error === '500' && state.message.startsWith('internal error')) continue;
      if (state.page === 'not-found' || state.error) problems.push(`#${route}: page ${state.page}, error ${state.error} ${state.message}`);
      for (const href of state.hrefs) {
        if (href.startsWith('#')) {
          if (!seen.has(href.slice(1))) queue.push(href.slice(1));
        } else external.add(href);
      }
    }
    expect(seen.size).toBeGreaterThan(15);
    for (const href of external) {
      const res = await fetch(new URL(href, `${stack.apiUrl}/console`));
      if (res.status !== 200) problems.push(`${href}: ${res.status}`);
    }
    expect([...external]).toContain('/docs');
    expect(problems).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // Every action went out with an Idempotency-Key of its own (the one retry above apart).
    expect(posts.length).toBeGreaterThan(6);
    expect(posts.filter((p) => !/^[\x21-\x7E]{1,255}$/.test(p.key ?? ''))).toEqual([]);
    expect(new Set(posts.map((p) => p.key)).size).toBe(posts.length - 1);
  });

  /** Signs in with another key in the same tab (the sign-in page replaces the tab's key). */
  async function switchTo(page: Page, key: string): Promise<void> {
    await page.goto(`${stack.apiUrl}/console#/sign-in`);
    await rendered(page, '/sign-in');
    await page.fill('input[name=apiKey]', key);
    await page.click('form.sign-in button[type=submit]');
    await rendered(page, '/');
  }

  /** The data-action of every action form on the page (forms that start a new record apart). */
  async function formsOn(page: Page): Promise<string[]> {
    return (await page.locator('main form.action:not(details.start form)').evaluateAll((els) => els.map((e) => (e as unknown as BrowserElement).dataset.action ?? ''))).sort();
  }

  /** What the API lists for the key on the order now, by the names the console gives the forms. */
  async function listed(key: string, orderId: string): Promise<string[]> {
    const answer = await call(key, 'GET', `/orders/${orderId}/actions`);
    expect(answer.status).toBe(200);
    return (answer.body.actions as { action: string }[]).map((a) => (a.action === 'decide' ? 'decide-claim' : a.action)).sort();
  }

  it('shows each role only the forms it may use now; ops record a delivery and decide a claim; the report and deadline pictures render', async () => {
    const buyerId = uniqueId('buyer');
    const supplierId = uniqueId('supplier');
    for (const [id, kind] of [[buyerId, 'buyer'], [supplierId, 'supplier']]) {
      expect((await call(stack.opsKey, 'POST', '/parties', { id, kind, name: `${kind} ${id}`, email: `${id}@example.com` })).status).toBe(201);
    }
    const keyOf = async (role: string, partyId?: string) => (await call(stack.opsKey, 'POST', '/api-keys', { name: role, role, partyId })).body.apiKey.key as string;
    const [buyerKey, supplierKey, supportKey] = [await keyOf('buyer', buyerId), await keyOf('supplier', supplierId), await keyOf('support')];
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('pageerror', (err) => consoleErrors.push(err.message));

    // Ops give the supplier its Trade Assurance profile from the supplier's page, so the order is covered.
    await signIn(page, stack.opsKey);
    await open(page, `/suppliers/${supplierId}`);
    const assurance = page.locator('form[data-action="set-assurance"]');
    await assurance.locator('select[name=qualification]').selectOption('gold');
    await assurance.locator('input[name=currency]').fill('USD');
    await assurance.locator('button').click();
    await confirmed(page, 'Trade Assurance profile saved');
    expect(await page.textContent('main')).toContain('gold');

    const drafted = await draftFromRequest(stack.apiUrl, { buyerKey, supplierKey, supplierId }, {
      buyerId,
      currency: 'USD',
      items: [{ sku: 'BT-SPK-200', description: 'Bluetooth speaker', quantity: 100, unitPrice: 1250 }],
      depositAmount: 50_000,
      shippingDate: new Date(Date.now() + clockOffset + 40 * 86_400_000).toISOString().slice(0, 10),
    });
    expect(drafted.status).toBe(201);
    const orderId: string = drafted.body.orderId;
    const act = async (key: string, action: string, body: unknown = {}) => expect((await call(key, 'POST', `/orders/${orderId}/${action}`, body)).status).toBe(200);
    await act(buyerKey, 'confirm-by-buyer');
    await act(supplierKey, 'confirm-by-supplier');
    await act(buyerKey, 'pay', { kind: 'deposit', amount: 50_000, reference: 'W-1' });
    await act(buyerKey, 'pay', { kind: 'balance', amount: 75_000, reference: 'W-2' });
    await act(supplierKey, 'ship', { carrier: 'DHL', trackingNumber: 'DHL123456' });

    // The buyer: its own forms only (it may open a claim now), none of ops', no late-task queue.
    await switchTo(page, buyerKey);
    expect(await page.locator('#nav a[href="#/late-tasks"]').count()).toBe(0);
    expect(await page.locator('#nav a[href="#/reports"]').count()).toBe(0);
    await open(page, `/orders/${orderId}`);
    const buyerForms = await formsOn(page);
    expect(buyerForms).toEqual(await listed(buyerKey, orderId));
    expect(buyerForms).toContain('claims');
    expect(buyerForms).not.toContain('mark-delivered');
    expect(await page.textContent('details.refused-actions')).toMatch(/confirm-receipt: cannot confirm receipt: the order is not delivered yet/);
    // What a buyer may start from its order: monitoring and an after-service case.
    expect((await page.locator('main details.start form.action').evaluateAll((els) => els.map((e) => (e as unknown as BrowserElement).dataset.action))).sort()).toEqual(['book-monitoring', 'open-case']);

    // Support reads everything and acts on nothing: not one form, on the order or on the queue.
    await switchTo(page, supportKey);
    expect(await page.locator('main form.action').count()).toBe(0);
    await open(page, `/orders/${orderId}`);
    expect(await page.textContent('h1')).toContain('SHIPPED');
    expect(await formsOn(page)).toEqual([]);
    expect(await listed(supportKey, orderId)).toEqual([]);

    // Ops: the delivery is an ops action, a form on the order's page; the parties' own actions are not.
    await switchTo(page, stack.opsKey);
    await open(page, `/orders/${orderId}`);
    const opsForms = await formsOn(page);
    expect(opsForms).toEqual(await listed(stack.opsKey, orderId));
    expect(opsForms).toContain('mark-delivered');
    expect(opsForms).not.toContain('extend-receiving');
    // The deadlines on a time line: one mark per open deadline, and now.
    const open_ = (await call(stack.opsKey, 'GET', `/orders/${orderId}/deadlines`)).body.deadlines as unknown[];
    expect(open_.length).toBeGreaterThan(0);
    expect(await page.locator('svg.deadline-line circle.deadline-mark').count()).toBe(open_.length);
    expect(await page.locator('svg.deadline-line line.now-mark').count()).toBe(1);
    expect(await page.locator('svg.deadline-line circle.deadline-mark.next').count()).toBe(1);
    await page.click('form[data-action="mark-delivered"] button');
    await confirmed(page, 'Delivery recorded');
    expect(await page.textContent('h1')).toContain('DELIVERED');
    expect(await formsOn(page)).not.toContain('mark-delivered');
    await page.screenshot({ path: path.join(OUTPUT, 'console-order-ops.png'), fullPage: true });

    // The buyer opens a claim from the console; from day 4 it escalates it; ops decide it from the console.
    await switchTo(page, buyerKey);
    await open(page, `/orders/${orderId}`);
    const claimForm = page.locator('form[data-action="claims"]');
    await claimForm.locator('select[name=cause]').selectOption('QUALITY_MISMATCH');
    await claimForm.locator('input[name=refundAsked]').fill('300.00');
    await claimForm.locator('input[name=description]').fill('cracked casings on 20 units');
    await claimForm.locator('button').click();
    await confirmed(page, 'Open a claim: done');
    await env.sleep(4 * 86_400_000 + MINUTE);
    clockOffset = (await env.currentTimeMs()) - Date.now();
    await act(buyerKey, 'claims/C1/escalate');
    await switchTo(page, stack.opsKey);
    await open(page, `/orders/${orderId}`);
    expect(await formsOn(page)).toEqual(await listed(stack.opsKey, orderId));
    const decide = page.locator('form[data-action="decide-claim"]');
    await decide.locator('input[name=refund]').fill('120.00');
    await decide.locator('input[name=reason]').fill('photos show 8 cracked units');
    await decide.locator('button').click();
    await confirmed(page, 'Claim C1 decided');
    expect(await page.textContent('tr[data-claim-id="C1"]')).toContain('USD 120.00: photos show 8 cracked units');
    expect(await page.locator('form[data-action="decide-claim"]').count()).toBe(0);

    // The weekly report: the rates per category over three weeks and the defect rate against 0.2%.
    const weeks = [['2026-11-02', 1], ['2026-11-09', 5], ['2026-11-16', 2]] as const;
    for (const [weekStart, quality] of weeks) {
      const shipments = 1000;
      const byCategory = { tracking: rate(12, shipments), quality: rate(quality, shipments), warehouse: rate(4, shipments) };
      await stack.db.afterServiceReport.create({
        data: {
          weekStart: new Date(`${weekStart}T00:00:00Z`),
          createdAt: new Date(),
          figures: JSON.parse(JSON.stringify({
            weekStart, generatedAt: new Date().toISOString(), shipments,
            cases: { total: 16 + quality, proactive: 6, customerRaised: 10 + quality },
            afterServiceRate: rate(16 + quality, shipments), rateByCategory: byCategory,
            defectRate: { ...rate(quality, shipments), target: 0.002, targetPercent: '0.20%', withinTarget: quality <= 2 },
          })),
        },
      });
    }
    await open(page, '/reports');
    expect(await page.locator('svg.category-rates circle.point').count()).toBe(9);
    expect(await page.locator('svg.category-rates polyline.series').count()).toBe(3);
    expect(await page.locator('svg.defect-rates rect.bar.over').count()).toBe(1);
    expect(await page.locator('svg.defect-rates rect.bar.within').count()).toBe(2);
    // The 0.2% line lies between the week at 0.5% and the week at 0.1%.
    const y = async (selector: string) => Number(await page.locator(selector).getAttribute(selector.includes('line') ? 'y1' : 'y'));
    const target = await y('svg.defect-rates line.target-line');
    expect(await y('svg.defect-rates rect.bar.over')).toBeLessThan(target);
    expect(await y('svg.defect-rates rect.bar[data-week="2026-11-02"]')).toBeGreaterThan(target);
    await page.screenshot({ path: path.join(OUTPUT, 'console-report.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('serves its files with their media types and a strict content security policy, and 404 for others', async () => {
    const page = await fetch(`${stack.apiUrl}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u.startsWith('/console/'));
    expect(assets.sort()).toEqual(['/console/app.js', '/console/style.css']);
    const script = await fetch(`${stack.apiUrl}/console/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${stack.apiUrl}/console/style.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    // Nothing from another origin: every import and URL the files name is the console's own.
    for (const name of fs.readdirSync(path.join(__dirname, '..', '..', 'console'))) {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', 'console', name), 'utf8');
      // The SVG namespace is a name, not an address anything is fetched from.
      expect({ name, remote: text.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg')/g) ?? [] }).toEqual({ name, remote: [] });
      for (const m of text.matchAll(/from '([^']+)'/g)) expect({ name, module: m[1] }).toEqual({ name, module: expect.stringMatching(/^\.\/[a-z-]+\.js$/) });
    }
    const missing = await call(undefined, 'GET', '/console/nothing.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const odd = await call(undefined, 'GET', '/console/..%2Fpackage.json');
    expect(odd.status).toBe(400);
  });
});
