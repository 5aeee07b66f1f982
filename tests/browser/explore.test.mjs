// Explore: search as you type, filter by facets, share the search by URL, go back; hostile text stays text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, signIn, createProduct, uniqueId } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedInPage() {
  const context = await browser.newContext();
  await signIn(context, { user: 'carol', teams: ['trading'] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

const row = (page, id) => page.locator(`[data-testid="product-row"][data-product-id="${id}"]`);
const ids = (page) => page.locator('[data-testid="product-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.productId));

test('the portal lists the seeded data products with their governance facts', async () => {
  const { page, errors } = await signedInPage();
  await page.goto(baseUrl + '/');
  for (const id of ['users', 'pageviews', 'stocktrades']) {
    await row(page, id).waitFor({ timeout: 30_000 });
  }
  const users = await row(page, 'users').innerText();
  assert.match(users, /membership/);
  assert.match(users, /accounts/);
  assert.match(users, /authoritative/);
  assert.match(users, /tier-1/);
  await screenshot(page, 'explore');
  assert.deepEqual(errors, []);
});

test('typing searches as you type, and the URL holds the search', async () => {
  const { page, errors } = await signedInPage();
  await page.goto(baseUrl + '/');
  await row(page, 'users').waitFor({ timeout: 30_000 });

  await page.getByLabel('Search data products').pressSequentially('stock', { delay: 30 });
  await page.waitForURL(/\?q=stock/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="product-row"]').length === 1);
  assert.deepEqual(await ids(page), ['stocktrades']);
  assert.match(await page.getByTestId('result-total').innerText(), /^1 match$/);
  assert.deepEqual(errors, []);
});

test('a facet filters the results, its URL can be shared, and back undoes it', async () => {
  const { page, errors } = await signedInPage();
  await page.goto(baseUrl + '/');
  await row(page, 'users').waitFor({ timeout: 30_000 });
  const before = (await ids(page)).length;

  await page.getByTestId('facet-domain-membership').check();
  await page.waitForURL(/domain=membership/);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="product-row"]')]
    .every((r) => r.innerText.includes('membership')));
  const filtered = await ids(page);
  assert.ok(filtered.includes('users'));
  assert.ok(!filtered.includes('stocktrades'));
  await screenshot(page, 'explore-filtered');

  // The same URL in a fresh page gives the same search, with its filter ticked.
  const shared = page.url();
  const other = await signedInPage();
  await other.page.goto(shared);
  await row(other.page, 'users').waitFor({ timeout: 30_000 });
  assert.deepEqual(await ids(other.page), filtered);
  assert.ok(await other.page.getByTestId('facet-domain-membership').isChecked());

  // Back returns to the unfiltered catalog.
  await page.goBack();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="product-row"]').length === n, before);
  assert.ok(!(await page.getByTestId('facet-domain-membership').isChecked()));
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
});

test('a product whose texts hold markup shows them as text', async () => {
  const id = uniqueId('xss');
  const hostile = '<script>window.pwned = 1</script>"><img src=x onerror="window.pwned = 2">';
  await createProduct({ id, overrides: { name: `Hostile ${hostile}`, description: { purpose: `Purpose ${hostile}` } } });
  const { page, errors } = await signedInPage();
  let dialogs = 0;
  page.on('dialog', async (dialog) => { dialogs += 1; await dialog.dismiss(); });

  await page.goto(`${baseUrl}/?q=${encodeURIComponent(id)}`);
  await row(page, id).waitFor({ timeout: 30_000 });
  assert.equal(await row(page, id).getByTestId('product-purpose').innerText(), `Purpose ${hostile}`);
  assert.equal(await row(page, id).locator('img, script').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(dialogs, 0);
  await screenshot(page, 'explore-hostile-text');
  assert.deepEqual(errors, []);
});

test('an unknown portal path still loads the app, and unknown API paths answer JSON', async () => {
  const page = await browser.newPage();
  const response = await page.goto(baseUrl + '/no/such/page');
  assert.equal(response.status(), 200);
  await page.getByTestId('not-found').waitFor({ timeout: 30_000 });

  const api = await page.request.get(baseUrl + '/api/v1/nothing-here');
  assert.equal(api.status(), 404);
  assert.equal((await api.json()).code, 'not_found');
});
