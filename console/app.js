/**
 * The console's shell: sign-in, navigation and a hash router (#/orders/PO-1), so every page is a
 * link that can be bookmarked and reloaded, and the server serves one page.
 */
import { ApiError, api, errorBox, operationsById, session } from './api.js';
import { h } from './dom.js';
import * as pages from './pages.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const flashBox = document.getElementById('flash');

/** [pattern, page name, view]; a view returns the page's element. */
const ROUTES = [
  ['/', 'home', pages.home],
  ['/late-tasks', 'late-tasks', pages.lateTasks],
  ['/deadlines', 'deadlines', pages.deadlines],
  ['/orders', 'orders', pages.orders],
  ['/orders/new', 'new-order', pages.newOrder],
  ['/orders/:id', 'order', pages.order],
  ['/monitoring', 'monitoring-list', pages.monitoringList],
  ['/monitoring/:id', 'monitoring', pages.monitoring],
  ['/cases', 'cases', pages.cases],
  ['/cases/:id', 'case', pages.caseDetail],
  ['/manual-orders', 'manual-orders', pages.manualOrders],
  ['/manual-orders/new', 'new-manual-order', pages.manualOrder],
  ['/manual-orders/:id', 'manual-order', pages.manualOrderDetail],
  ['/search', 'search', pages.search],
  ['/reports', 'reports', pages.reports],
  ['/suppliers/:id', 'supplier', pages.supplier],
  ['/admin', 'admin', pages.admin],
  ['/po-requests', 'po-requests', pages.poRequests],
  ['/po-requests/:id', 'po-request', pages.poRequest],
];

function match(path) {
  for (const [pattern, name, view] of ROUTES) {
    const names = [];
    const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_m, n) => (names.push(n), '([^/]+)'))}$`);
    const m = re.exec(path);
    if (m) return { name, view, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return undefined;
}

function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { raw, path: path || '/', query: new URLSearchParams(query) };
}

let pendingFlash;
let renderCount = 0;

/** Shows a confirmation above the next rendering of the page. */
function flash(message) {
  pendingFlash = message;
}

async function renderNav() {
  if (!session.key) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const ops = await operationsById();
  const role = session.role;
  // A page whose endpoint the key's role may not call is left out; one this API lacks is named, greyed.
  const item = (label, href, operation) =>
    !operation || (ops.has(operation) && (ops.get(operation)['x-roles'] ?? []).includes(role))
      ? h('a', { href }, label)
      : ops.has(operation)
        ? null
        : h('span', { class: 'unavailable', title: `not available in this version of the API (${operation})` }, label);
  nav.replaceChildren(
    item(ops.has('GET /late-tasks') && (ops.get('GET /late-tasks')['x-roles'] ?? []).includes(role) ? 'Queue' : 'Home', '#/'),
    item('Late tasks', '#/late-tasks', 'GET /late-tasks'),
    item('Deadlines', '#/deadlines', 'GET /deadlines'),
    item('Requests', '#/po-requests', 'GET /po-requests'),
    item('Orders', '#/orders', 'GET /orders'),
    item('Monitoring', '#/monitoring', 'GET /monitoring'),
    item('Cases', '#/cases', 'GET /cases'),
    item('Manual orders', '#/manual-orders', 'GET /manual-orders'),
    item('Weekly report', '#/reports', 'GET /reports/after-service'),
    item('Keys', '#/admin', 'GET /api-keys'),
    ops.has('GET /search')
      ? h(
          'form',
          {
            class: 'search',
            role: 'search',
            onsubmit: (ev) => {
              ev.preventDefault();
              const q = new FormData(ev.target).get('q');
              location.hash = `#/search?q=${encodeURIComponent(String(q ?? '').trim())}`;
            },
          },
          h('input', { name: 'q', type: 'search', placeholder: 'Order, task or case id…', 'aria-label': 'Search' }),
        )
      : null,
    h('a', { href: '/docs', target: '_blank', rel: 'noopener' }, 'API docs'),
  );
  who.replaceChildren(
    h('span', { class: 'muted small', dataset: { role: role ?? '' } }, `${role ?? 'key'}${session.who.partyId ? ` ${session.who.partyId}` : ''} · key `, h('code', {}, `${session.key.slice(0, 7)}…`)),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

function signOut() {
  session.signOut();
  location.hash = '#/sign-in';
}

function signInPage(query) {
  const outcome = h('div', { class: 'outcome' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const key = String(new FormData(form).get('apiKey') ?? '').trim();
        outcome.replaceChildren();
        button.disabled = true;
        try {
          // Who the key is: the console shows each role what it may do.
          const { apiKey } = await api('GET', '/api-keys/current', { key });
          session.signIn(key, apiKey);
          const next = query.get('next');
          location.hash = next && next.startsWith('/') && !next.startsWith('/sign-in') ? `#${next}` : '#/';
        } catch (err) {
          outcome.replaceChildren(errorBox(err));
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste your API key (ops, support, buyer, supplier or inspector). It is kept for this browser tab only and sent to the API with each request; the console shows what that key may do.'),
    h('label', { class: 'field' }, h('span', {}, 'API key'), h('input', { name: 'apiKey', type: 'password', autocomplete: 'off', required: true, placeholder: 'tg_…', size: 40 })),
    button,
    outcome,
    h('p', { class: 'muted small' }, 'A key is made with ', h('code', {}, 'npm run api-key -- --role ops --name "Your name"'), '.'),
  );
  return form;
}

async function render() {
  const route = currentRoute();
  const count = ++renderCount;
  main.setAttribute('aria-busy', 'true');
  await renderNav();
  if (!session.key && route.path !== '/sign-in') {
    location.replace(`#/sign-in?next=${encodeURIComponent(route.raw)}`);
    return;
  }
  main.setAttribute('aria-busy', 'true');
  delete main.dataset.errorStatus;
  flashBox.replaceChildren(pendingFlash ? h('p', { class: 'flash' }, pendingFlash) : '');
  pendingFlash = undefined;

  let name;
  let content;
  if (route.path === '/sign-in') {
    name = 'sign-in';
    content = signInPage(route.query);
  } else {
    const found = match(route.path);
    if (!found) {
      name = 'not-found';
      content = h('div', {}, h('h1', {}, 'No such page'), h('p', {}, `The console has no page ${route.path}.`), h('p', {}, h('a', { href: '#/' }, 'Back to the queue')));
    } else {
      name = found.name;
      main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
      const ctx = {
        params: found.params,
        query: route.query,
        /** Re-renders the page, showing `message` above it. */
        done: async (message) => {
          if (message) flash(message);
          await render();
        },
        /** Goes to another page, showing `message` above it. */
        go: (href, message) => {
          if (message) flash(message);
          location.hash = href;
        },
      };
      try {
        content = await found.view(ctx);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) session.signOut();
        main.dataset.errorStatus = String(err instanceof ApiError ? err.status : 500);
        content = h('div', {}, h('h1', {}, 'This page could not be shown'), errorBox(err), h('p', {}, h('a', { href: '#/' }, 'Back to the queue')));
      }
    }
  }
  // A later navigation has started: its rendering wins.
  if (count !== renderCount) return;
  main.dataset.page = name;
  main.dataset.route = route.raw;
  main.replaceChildren(content);
  const title = main.querySelector('h1')?.textContent;
  document.title = title ? `${title} · TradeGuard console` : 'TradeGuard console';
  main.setAttribute('aria-busy', 'false');
}

window.addEventListener('hashchange', () => void render());
void render();
