// kurz's web UI: shorten, list, edit, and read statistics, through the JSON API only.
// Every value from the API reaches the page as text (textContent, attributes set one by one),
// never as HTML, and the page's CSP allows no inline script or style: a hostile title or URL can't
// run code here.
import { api, apiKey, saveKey, forgetKey, ApiError } from './api.js';

const view = document.getElementById('view');
const PAGE = 20;

// CSP violations are collected where tests (and curious people) can see them.
document.addEventListener('securitypolicyviolation', e => {
  const seen = document.body.dataset.cspViolations ? document.body.dataset.cspViolations + ' ' : '';
  document.body.dataset.cspViolations = seen + e.violatedDirective;
});

/** el('a', {href: x, class: 'y'}, 'text', child...): an element; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

function message(text, kind) {
  return el('p', { class: kind === 'error' ? 'notice error' : 'notice', role: kind === 'error' ? 'alert' : 'status' },
    text);
}

function errorText(err) {
  return err instanceof ApiError ? err.describe() : 'The request failed: ' + err.message;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

// ---- the API key panel ----------------------------------------------------------------------

function renderKeyPanel() {
  const panel = document.getElementById('key-panel');
  if (apiKey()) {
    panel.replaceChildren(
      el('span', { class: 'muted' }, 'API key saved in this browser'),
      el('button', { type: 'button', class: 'link', id: 'forget-key', onclick: () => { forgetKey(); route(); } },
        'Forget key'));
    return;
  }
  const input = el('input', { type: 'password', id: 'api-key', placeholder: 'API key (optional)', autocomplete: 'off',
    'aria-label': 'API key', size: 22 });
  const form = el('form', { class: 'key-form', onsubmit: e => {
    e.preventDefault();
    if (input.value.trim()) {
      saveKey(input.value);
      route();
    }
  } }, input, el('button', { type: 'submit' }, 'Use key'));
  panel.replaceChildren(form);
}

// ---- home: shorten, and the caller's links ---------------------------------------------------

function renderHome() {
  const result = el('div', { id: 'result', 'aria-live': 'polite' });
  const url = el('input', { type: 'url', id: 'url', name: 'url', required: true, placeholder: 'https://example.com/a/long/path',
    'aria-label': 'URL to shorten' });
  const alias = el('input', { type: 'text', id: 'alias', name: 'alias', placeholder: 'alias (optional)',
    pattern: '[A-Za-z0-9_-]{3,64}', 'aria-label': 'Alias' });
  const expires = el('input', { type: 'datetime-local', id: 'expires', name: 'expires', 'aria-label': 'Expires at' });
  const button = el('button', { type: 'submit', id: 'shorten' }, 'Shorten');
  const form = el('form', { class: 'shorten', onsubmit: async e => {
    e.preventDefault();
    const body = { url: url.value.trim() };
    if (alias.value.trim()) {
      body.alias = alias.value.trim();
    }
    if (expires.value) {
      body.expiresAt = new Date(expires.value).toISOString();
    }
    button.disabled = true;
    try {
      const link = await api('POST', '/api/v1/links', body);
      result.replaceChildren(created(link));
      if (apiKey()) {
        loadLinks();
      }
    } catch (err) {
      result.replaceChildren(message(errorText(err), 'error'));
    } finally {
      button.disabled = false;
    }
  } },
  el('div', { class: 'row' }, url, button),
  el('div', { class: 'row options' },
    el('label', {}, 'Alias ', alias),
    el('label', {}, 'Expires ', expires)));

  view.replaceChildren(el('h1', {}, 'Shorten a link'), form, result);
  if (apiKey()) {
    view.append(linksSection());
    loadLinks();
  } else {
    view.append(el('p', { class: 'muted' },
      'With an API key (made with "kurz keys create"), your links are listed here to search, edit and delete.'));
  }
}

function created(link) {
  const copy = el('button', { type: 'button', id: 'copy', onclick: async () => {
    try {
      await navigator.clipboard.writeText(link.shortUrl);
      copy.textContent = 'Copied';
    } catch {
      window.getSelection().selectAllChildren(short);
      copy.textContent = 'Press Ctrl+C';
    }
  } }, 'Copy');
  const short = el('a', { id: 'short-url', href: link.shortUrl }, link.shortUrl);
  return el('section', { class: 'card created' },
    el('div', { class: 'created-text' },
      el('p', { class: 'short' }, short, ' ', copy),
      el('p', { class: 'muted target' }, 'goes to ', el('span', {}, link.url)),
      el('p', {},
        el('a', { href: '#/stats/' + encodeURIComponent(link.code), id: 'stats-link' }, 'Statistics'), ' · ',
        el('a', { href: link.shortUrl + '+' }, 'Preview'), ' · ',
        el('a', { href: qrUrl(link.code, 'png', 512), download: link.code + '.png' }, 'QR as PNG'))),
    el('img', { class: 'qr', id: 'qr', src: qrUrl(link.code, 'svg', 160), width: 160, height: 160,
      alt: 'QR code of ' + link.shortUrl }));
}

function qrUrl(code, format, size) {
  return '/api/v1/links/' + encodeURIComponent(code) + '/qr?format=' + format + '&size=' + size;
}

// The list's state: the search, the cursors of the pages before this one, this page's cursor.
const list = { q: '', cursors: [], cursor: null, next: null };

function linksSection() {
  let timer;
  const search = el('input', { type: 'search', id: 'search', placeholder: 'Search code, URL or title',
    'aria-label': 'Search links', value: list.q, oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        list.q = search.value.trim();
        list.cursors = [];
        list.cursor = null;
        loadLinks();
      }, 250);
    } });
  return el('section', { id: 'links' },
    el('h2', {}, 'Your links'),
    search,
    el('div', { id: 'links-body' }),
    el('nav', { class: 'pager' },
      el('button', { type: 'button', id: 'prev', onclick: () => {
        list.cursor = list.cursors.pop() ?? null;
        loadLinks();
      } }, '← Newer'),
      el('button', { type: 'button', id: 'next', onclick: () => {
        list.cursors.push(list.cursor);
        list.cursor = list.next;
        loadLinks();
      } }, 'Older →')));
}

async function loadLinks() {
  const body = document.getElementById('links-body');
  if (!body) {
    return;
  }
  const params = new URLSearchParams({ limit: PAGE });
  if (list.q) {
    params.set('q', list.q);
  }
  if (list.cursor) {
    params.set('cursor', list.cursor);
  }
  try {
    const page = await api('GET', '/api/v1/links?' + params);
    list.next = page.nextCursor;
    document.getElementById('prev').disabled = list.cursors.length === 0 && !list.cursor;
    document.getElementById('next').disabled = !page.nextCursor;
    body.replaceChildren(page.items.length === 0 ? el('p', { class: 'muted' }, list.q ? 'No link matches.' : 'No links yet.')
      : el('div', { class: 'scroll' }, el('table', { class: 'links' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Link'), el('th', { class: 'wide' }, 'Goes to'),
          el('th', { class: 'num' }, 'Clicks'), el('th', { class: 'wide' }, 'Created'), el('th', {}, ''))),
        el('tbody', {}, page.items.map(linkRow)))));
  } catch (err) {
    body.replaceChildren(message(errorText(err), 'error'));
  }
}

function linkRow(link) {
  const state = link.disabled ? 'disabled' : link.expiresAt && new Date(link.expiresAt) < new Date() ? 'expired' : null;
  const row = el('tr', { 'data-code': link.code },
    el('td', {}, el('a', { href: link.shortUrl }, link.code), state ? el('span', { class: 'badge' }, state) : null,
      link.title ? el('div', { class: 'muted' }, link.title) : null),
    el('td', { class: 'wide target' }, link.url),
    el('td', { class: 'num' }, link.clicks),
    el('td', { class: 'wide' }, when(link.createdAt)),
    el('td', { class: 'actions' },
      el('a', { href: '#/stats/' + encodeURIComponent(link.code) }, 'Stats'),
      el('button', { type: 'button', class: 'link', onclick: () => editRow(row, link) }, 'Edit'),
      el('button', { type: 'button', class: 'link', onclick: () => change(link, { disabled: !link.disabled }) },
        link.disabled ? 'Enable' : 'Disable'),
      el('button', { type: 'button', class: 'link danger', onclick: async () => {
        if (confirm('Delete ' + link.shortUrl + '? It stops redirecting at once.')) {
          try {
            await api('DELETE', '/api/v1/links/' + encodeURIComponent(link.code));
            loadLinks();
          } catch (err) {
            alert(errorText(err));
          }
        }
      } }, 'Delete')));
  return row;
}

async function change(link, patch) {
  try {
    await api('PATCH', '/api/v1/links/' + encodeURIComponent(link.code), patch);
    loadLinks();
  } catch (err) {
    alert(errorText(err));
  }
}

function editRow(row, link) {
  const url = el('input', { type: 'url', required: true, value: link.url, 'aria-label': 'Target URL' });
  const title = el('input', { type: 'text', value: link.title || '', maxlength: 512, 'aria-label': 'Title' });
  const expires = el('input', { type: 'datetime-local', 'aria-label': 'Expires at',
    value: link.expiresAt ? localInput(new Date(link.expiresAt)) : '' });
  const status = el('div');
  const form = el('form', { class: 'edit', onsubmit: async e => {
    e.preventDefault();
    const patch = { url: url.value.trim(), title: title.value.trim() || null,
      expiresAt: expires.value ? new Date(expires.value).toISOString() : null };
    try {
      await api('PATCH', '/api/v1/links/' + encodeURIComponent(link.code), patch);
      loadLinks();
    } catch (err) {
      status.replaceChildren(message(errorText(err), 'error'));
    }
  } },
  el('label', {}, 'URL ', url), el('label', {}, 'Title ', title), el('label', {}, 'Expires ', expires),
  el('button', { type: 'submit' }, 'Save'), el('button', { type: 'button', class: 'link', onclick: loadLinks }, 'Cancel'),
  status);
  row.replaceChildren(el('td', { colspan: 5 }, form));
}

function localInput(date) {
  const pad = n => String(n).padStart(2, '0');
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T'
    + pad(date.getHours()) + ':' + pad(date.getMinutes());
}

// ---- statistics of one link ------------------------------------------------------------------

const RANGES = {
  '7d': { label: '7 days', interval: 'day', days: null }, // the API's default: the 7 days up to now
  '30d': { label: '30 days', interval: 'day', days: 30 },
  '90d': { label: '90 days', interval: 'day', days: 90 },
  '48h': { label: '48 hours', interval: 'hour', days: 2 },
};
let chart;

async function renderStats(code, range) {
  const r = RANGES[range] || RANGES['7d'];
  const params = new URLSearchParams({ interval: r.interval });
  if (r.days) {
    params.set('from', new Date(Date.now() - r.days * 86_400_000).toISOString().slice(0, 13) + ':00:00Z');
  }
  const picker = el('nav', { class: 'ranges' }, Object.entries(RANGES).map(([key, value]) =>
    el('a', { href: '#/stats/' + encodeURIComponent(code) + '/' + key, 'aria-current': (RANGES[range] ? range : '7d') === key ? 'page' : null },
      value.label)));
  view.replaceChildren(el('h1', {}, 'Statistics of ', el('code', {}, code)), picker, el('p', { class: 'muted' }, 'Loading…'));
  let stats;
  let link;
  try {
    [stats, link] = await Promise.all([
      api('GET', '/api/v1/links/' + encodeURIComponent(code) + '/stats?' + params),
      api('GET', '/api/v1/links/' + encodeURIComponent(code)),
    ]);
  } catch (err) {
    view.replaceChildren(el('h1', {}, 'Statistics of ', el('code', {}, code)), message(errorText(err), 'error'),
      el('p', {}, el('a', { href: '#/' }, 'Back')));
    return;
  }
  const total = stats.totals.human + stats.totals.bot;
  const canvas = el('canvas', { id: 'clicks-chart', role: 'img', 'aria-label': 'Clicks over time',
    'data-total-human': stats.totals.human, 'data-total-bot': stats.totals.bot });
  const series = el('table', { id: 'series', class: 'data' },
    el('caption', {}, 'Clicks per ' + stats.interval),
    el('thead', {}, el('tr', {}, el('th', {}, stats.interval === 'hour' ? 'Hour' : 'Day'),
      el('th', { class: 'num' }, 'People'), el('th', { class: 'num' }, 'Bots'))),
    el('tbody', {}, stats.series.map(p => el('tr', { 'data-t': p.t },
      el('td', {}, label(p.t, stats.interval)), el('td', { class: 'num human' }, p.human), el('td', { class: 'num bot' }, p.bot)))));
  view.replaceChildren(
    el('h1', {}, 'Statistics of ', el('code', {}, code)),
    el('p', { class: 'muted target' }, el('a', { href: link.shortUrl }, link.shortUrl), ' → ', el('span', {}, link.url)),
    picker,
    el('p', { class: 'totals', id: 'totals' }, el('strong', {}, total), total === 1 ? ' click: ' : ' clicks: ', stats.totals.human, ' by people, ',
      stats.totals.bot, ' by bots'),
    el('div', { class: 'chart' }, canvas),
    el('details', {}, el('summary', {}, 'The numbers'), el('div', { class: 'scroll' }, series)),
    el('div', { class: 'tops' },
      top('Referrers', 'referrers', stats.top.referrers),
      top('Browsers', 'browsers', stats.top.browsers),
      top('Operating systems', 'os', stats.top.os),
      top('Devices', 'devices', stats.top.devices),
      top('Countries', 'countries', stats.top.countries)),
    el('p', { class: 'muted' }, 'Counts are written every few seconds; top lists count whole UTC days.'));
  drawChart(canvas, stats);
}

function top(title, dim, values) {
  return el('section', { class: 'card top', 'data-dim': dim }, el('h2', {}, title),
    values && values.length ? el('table', { class: 'data' }, el('tbody', {}, values.map(v =>
      el('tr', {}, el('td', {}, v.value), el('td', { class: 'num' }, v.clicks)))))
      : el('p', { class: 'muted' }, 'Nothing yet.'));
}

function label(iso, interval) {
  const d = new Date(iso);
  return interval === 'hour' ? d.toISOString().slice(5, 13).replace('T', ' ') + ':00 UTC' : iso.slice(0, 10);
}

function drawChart(canvas, stats) {
  if (chart) {
    chart.destroy();
    chart = null;
  }
  if (!window.Chart) {
    return; // the numbers are still in the table
  }
  chart = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels: stats.series.map(p => label(p.t, stats.interval)),
      datasets: [
        { label: 'People', data: stats.series.map(p => p.human), backgroundColor: '#2563eb' },
        { label: 'Bots', data: stats.series.map(p => p.bot), backgroundColor: '#9ca3af' },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

// ---- routing ---------------------------------------------------------------------------------

function route() {
  renderKeyPanel();
  const match = location.hash.match(/^#\/stats\/([A-Za-z0-9_-]{1,64})(?:\/(\w+))?$/);
  if (match) {
    renderStats(match[1], match[2]);
  } else {
    renderHome();
  }
}

window.addEventListener('hashchange', route);
route();
