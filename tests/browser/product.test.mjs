// The product page: a consumer opens a product from Explore, reads its schema, compares two schema versions, loads a
// sample of live events and takes the embed code; text a team wrote is shown as text; an unknown id has its own page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, signIn, createProduct, uniqueId, api } from './browser.mjs';

const SCRIPT = '<script>window.pwned = true; alert(1)</script>';
const IMG = '"><img src=x onerror="window.pwned = true; alert(1)">';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The demo's users product starts with one schema version; its owner adds an optional field, a compatible change,
// so the page has two versions to compare.
async function ensureTwoVersions(token) {
  const detail = await api('/api/v1/products/users', { token });
  if (detail.versions.length >= 2) return detail.versions;
  const schema = JSON.parse(detail.schema.schema);
  schema.fields.push({ name: 'nickname', type: ['null', 'string'], default: null, doc: 'What friends call them.' });
  const evolved = await api('/api/v1/products/users/schema', {
    token, method: 'POST', body: { schema: JSON.stringify(schema), revision: detail.product.revision },
  });
  assert.equal(evolved.compatible, true);
  return (await api('/api/v1/products/users', { token })).versions;
}

// Fails the test on any dialog (an alert from injected markup) instead of leaving the page blocked.
function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => {
    // signIn's init script writes localStorage in every frame, and the card preview's sandbox (no same-origin, as
    // wikis frame it) refuses that: the test's own script, not the page's.
    if (e.message.includes('sandboxed and lacks the \'allow-same-origin\' flag')) return;
    problems.push(`page error: ${e.message}`);
  });
  page.on('dialog', async (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return problems;
}

test('a consumer opens a product from Explore, reads its schema and versions, samples events and takes the embed code',
  async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const session = await signIn(context, { user: 'alice', teams: ['accounts'] });
    const versions = await ensureTwoVersions(session.token);
    const page = await context.newPage();
    const problems = watch(page);

    // From Explore to the product.
    await page.goto(baseUrl + '/');
    await page.locator('[data-testid="product-row"][data-product-id="users"] [data-testid="product-name"]').click();
    await page.waitForURL(`${baseUrl}/products/users`);
    await page.getByTestId('product-page').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('product-title').innerText(), 'Users');
    assert.equal(await page.title(), 'Users');
    assert.equal(await page.getByTestId('product-team').innerText(), 'accounts');
    assert.match(await page.getByTestId('product-contact').innerText(), /accounts@acme\.example/);
    assert.equal(await page.getByTestId('topic-history').innerText(), 'latest per key (compacted)');

    // The schema's fields, with email marked as personal data.
    const paths = await page.getByTestId('schema-field').evaluateAll((rows) => rows.map((r) => r.dataset.path));
    for (const field of ['userid', 'registertime', 'regionid', 'gender', 'email', 'nickname']) {
      assert.ok(paths.includes(field), `the schema shows ${field} (${paths})`);
    }
    const email = page.locator('[data-testid="schema-field"][data-path="email"]');
    assert.equal(await email.getByTestId('schema-field-presence').innerText(), 'optional');
    assert.match(await email.innerText(), /personal data/);

    // Compare the two newest versions: the added optional field, not breaking.
    const [older, newer] = versions.slice(-2).map((v) => String(v.version));
    await page.getByTestId('diff-from').selectOption(older);
    await page.getByTestId('diff-to').selectOption(newer);
    await page.getByTestId('diff-compare').click();
    const change = page.locator('[data-testid="schema-change"]', { hasText: 'nickname' });
    await change.waitFor({ timeout: 15_000 });
    assert.equal(await change.getAttribute('data-breaking'), 'false');
    assert.match(await page.getByTestId('schema-diff-summary').innerText(), new RegExp(`version ${older} to version ${newer}`));

    // A sample of live events, read only when asked; the demo keys users by id, and ids are masked with email.
    assert.equal(await page.getByTestId('sample-table').count(), 0);
    await page.getByTestId('sample-load').click();
    await page.getByTestId('sample-table').waitFor({ timeout: 20_000 });
    assert.ok(await page.getByTestId('sample-event').count() >= 1, 'the demo generator has written events');
    assert.ok(await page.getByTestId('masked-value').count() >= 1, 'personal data is shown as masked');
    assert.match(await page.getByTestId('sample-masked-fields').innerText(), /email/);

    // How to consume: every snippet names the topic.
    const topic = await page.getByTestId('consume-topic').innerText();
    assert.equal(topic, 'users');
    for (const language of ['Rust', 'Java', 'Python', 'kcat']) {
      await page.getByRole('tab', { name: language }).click();
      assert.ok((await page.getByTestId('consume-snippet').innerText()).includes(topic), language);
    }

    // The embed panel: the card's iframe code, copied to the clipboard, and its live preview.
    const iframe = await page.getByTestId('embed-iframe-code').innerText();
    assert.ok(iframe.startsWith(`<iframe src="${baseUrl}/embed/products/users" width="480" height="208"`), iframe);
    assert.equal(await page.getByTestId('embed-oembed-url').innerText(),
      `${baseUrl}/oembed?url=${encodeURIComponent(`${baseUrl}/products/users`)}&format=json`);
    const block = page.locator('.copy-block', { has: page.getByTestId('embed-iframe-code') });
    await block.getByTestId('copy-button').click();
    await assert.doesNotReject(block.getByTestId('copy-status').getByText('Copied').waitFor({ timeout: 5_000 }));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), iframe);
    const card = await (await page.getByTestId('embed-preview').elementHandle()).contentFrame();
    await card.waitForSelector('[data-testid="embed-card"]', { timeout: 15_000 });
    assert.equal((await card.locator('h1').innerText()).trim(), 'Users');

    // The page's contents jump to a section.
    await page.getByRole('navigation', { name: 'On this page' }).getByRole('link', { name: 'Schema' }).click();
    await page.waitForURL(`${baseUrl}/products/users#product-schema`);
    const top = await page.getByTestId('product-schema').evaluate((section) => section.getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 200, `the schema section is at the top of the screen (${top}px)`);
    assert.equal(await page.getByTestId('product-page').count(), 1, 'the page stays as it was');

    await screenshot(page, 'product');
    assert.deepEqual(problems, []);
    await context.close();
  });

test('on a phone the page stacks its sections and only its tables scroll sideways', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  await signIn(context, { user: 'alice', teams: ['accounts'] });
  const page = await context.newPage();
  const problems = watch(page);

  await page.goto(baseUrl + '/products/stocktrades');
  await page.getByTestId('product-page').waitFor({ timeout: 30_000 });

  // The product's own content fits the screen; wide tables and code scroll inside their own boxes.
  const fits = await page.getByTestId('product-page').evaluate((article) => ({
    right: Math.round(article.getBoundingClientRect().right),
    scroll: article.scrollWidth - article.clientWidth,
  }));
  assert.ok(fits.right <= 360 && fits.scroll <= 0, `the page's content overflows: ${JSON.stringify(fits)}`);
  const scrolls = await page.getByTestId('schema-table').evaluate((table) => {
    const box = table.closest('.table-scroll');
    return getComputedStyle(box).overflowX === 'auto' && box.getBoundingClientRect().right <= window.innerWidth;
  });
  assert.ok(scrolls, 'the schema table scrolls inside its own box');
  await screenshot(page, 'product-narrow');

  // Lineage links lead to the input's page, in the portal, and the tab follows.
  const input = page.getByTestId('lineage-input');
  assert.equal(await input.getAttribute('data-product-id'), 'users', 'stocktrades derives from users');
  await input.click();
  await page.waitForURL(`${baseUrl}/products/users`);
  await page.getByTestId('product-title').getByText('Users', { exact: true }).waitFor();
  assert.equal(await page.title(), 'Users');
  assert.equal(await page.getByTestId('lineage-downstream').getAttribute('data-product-id'), 'stocktrades');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a description with markup is shown as text: no script runs, no element is injected', async () => {
  const id = uniqueId('hostile');
  await createProduct({
    id,
    overrides: {
      name: `Hostile ${SCRIPT}`,
      description: { purpose: SCRIPT, usage: IMG, limitations: `${IMG}${SCRIPT}` },
      tags: ['hostile'],
    },
  });
  const context = await browser.newContext();
  await signIn(context, { user: 'dana', teams: ['edge'] });
  const page = await context.newPage();
  const problems = watch(page);

  await page.goto(`${baseUrl}/products/${id}`);
  await page.getByTestId('product-page').waitFor({ timeout: 30_000 });

  assert.equal(await page.getByTestId('product-purpose').textContent(), SCRIPT);
  assert.equal(await page.getByTestId('product-usage').textContent(), IMG);
  assert.equal(await page.getByTestId('product-limitations').textContent(), `${IMG}${SCRIPT}`);
  assert.equal(await page.getByTestId('product-title').textContent(), `Hostile ${SCRIPT}`);
  assert.equal(await page.title(), `Hostile ${SCRIPT}`);
  const injected = await page.getByTestId('product-page')
    .evaluate((root) => root.querySelectorAll('script, img:not([data-testid="embed-badge-preview"])').length);
  assert.equal(injected, 0);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown product has a not-found page of its own', async () => {
  const context = await browser.newContext();
  await signIn(context, { user: 'alice', teams: ['accounts'] });
  const page = await context.newPage();
  const problems = watch(page);

  await page.goto(`${baseUrl}/products/no.such.product`);
  await page.getByTestId('product-not-found').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('product-not-found').innerText(), /no\.such\.product/);
  assert.equal(await page.title(), 'Data product not found');
  assert.equal(await page.getByTestId('error-state').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
