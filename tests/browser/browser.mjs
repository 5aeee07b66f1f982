// Launching Debian's Chromium for the tests: never a browser downloaded by a tool.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const baseUrl = process.env.MESHPORT_BASE_URL ?? 'http://127.0.0.1:8080';
export const outputDir = join(dirname(fileURLToPath(import.meta.url)), 'output');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

// Saves a screenshot of the page under tests/browser/output/<name>.png.
export async function screenshot(page, name) {
  mkdirSync(outputDir, { recursive: true });
  const path = join(outputDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// Signs a browser context in as a dev-mode person before any page loads: asks the API for a dev token and puts the
// session where the portal keeps it (localStorage `meshport.session`). Teams of the demo mesh: accounts
// (membership: users), edge (analytics: pageviews, clickstream.raw), trading (execution: stocktrades).
export async function signIn(context, { user, teams = [], admin = false }) {
  const response = await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, teams, admin }),
  });
  if (!response.ok) throw new Error(`dev sign-in failed: ${response.status} ${await response.text()}`);
  const session = await response.json();
  // Sandboxed frames (the card preview) have no localStorage: leave them be.
  await context.addInitScript((text) => {
    try { localStorage.setItem('meshport.session', text); } catch { /* a sandboxed frame */ }
  }, JSON.stringify(session));
  return session;
}

// A unique, valid product id / topic name for one test run.
export function uniqueId(prefix) {
  return `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

// Creates a product (topic + Avro schema + metadata) through the API as an org admin, for journeys that need one of
// their own. `overrides` is merged into the product. Answers the API's product.
export async function createProduct({ id, domain = 'analytics', team = 'edge', overrides = {}, schema } = {}) {
  const admin = await (await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'test-admin', admin: true }),
  })).json();
  const product = {
    id, name: `Test product ${id}`, version: '1.0.0', domain,
    owner: { team, contact: `${team}@acme.example` },
    status: 'active',
    description: { purpose: `Events of ${id}, made by a browser test` },
    output_port: { topic: id, value_subject: `${id}-value`, schema_format: 'avro' },
    quality: 'curated', sla: 'tier-2',
    ...overrides,
  };
  const body = {
    product,
    topic: { partitions: 1 },
    schema: schema ?? JSON.stringify({
      type: 'record', name: 'Event', namespace: 'test',
      fields: [{ name: 'id', type: 'string' }, { name: 'at', type: 'long' }],
    }),
  };
  const response = await fetch(`${baseUrl}/api/v1/products/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`create ${id} failed: ${response.status} ${await response.text()}`);
  return response.json();
}

// The elements of the page's content (`#main`) that reach past the right edge of the screen: none at 360 px wide.
export function overflowing(page) {
  return page.evaluate(() => [...document.querySelectorAll('#main *')]
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`));
}

// A signed-in page of its own for one person (signIn's arguments), in a context of its own; `errors` collects the
// page's errors, for the journey to fail on.
export async function personPage(browser, person) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signIn(context, person);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

// A dev-mode token of `user` in `teams`, for a journey's setup through the API.
export async function devToken(user, teams = []) {
  const response = await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, teams }),
  });
  if (!response.ok) throw new Error(`dev sign-in failed: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

// Calls the API at `path` (with a bearer `token`, a JSON `body`), answering its JSON; fails on any error status.
export async function api(path, { token, method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(baseUrl + path, { method, headers, body: body && JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
