// Explore: the portal, served by the API, lists the demo mesh's products.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the portal lists the seeded data products with their governance facts', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(baseUrl + '/');
  const rows = page.locator('[data-testid="product-row"]');
  await rows.first().waitFor({ timeout: 30_000 });

  for (const id of ['users', 'pageviews', 'stocktrades']) {
    const row = page.locator(`[data-testid="product-row"][data-product-id="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
  }
  const users = await page.locator('[data-testid="product-row"][data-product-id="users"]').innerText();
  assert.match(users, /membership/);
  assert.match(users, /accounts/);
  assert.match(users, /authoritative/);
  assert.match(users, /tier-1/);
  await screenshot(page, 'explore');
  assert.deepEqual(errors, []);
});

test('an unknown portal path still loads the app, and unknown API paths answer JSON', async () => {
  const page = await browser.newPage();
  const response = await page.goto(baseUrl + '/products/users');
  assert.equal(response.status(), 200);
  assert.match(await response.text(), /<html/i);

  const api = await page.request.get(baseUrl + '/api/v1/nothing-here');
  assert.equal(api.status(), 404);
  assert.equal((await api.json()).code, 'not_found');
});
