// Manage: an owner's products and publishable topics; editing the metadata (and a stale edit); evolving a schema (a breaking change refused, or published as a
// new major version), deprecating, a stale change, and retiring by keyboard on a phone-sized screen.
//
// Journeys that change a product use one created for the test, so the demo products other journeys rely on stay as
// seeded; the refused evolve changes nothing, so it runs on the demo's `users`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, signIn, createProduct, uniqueId } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A page signed in as Alice of team accounts (owner of `users`), collecting the page's script errors.
async function alicePage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const session = await signIn(context, { user: 'alice', teams: ['accounts'] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors, session };
}

// A product of team accounts, made for one journey.
async function accountsProduct(prefix, schema) {
  const id = uniqueId(prefix);
  const product = await createProduct({ id, domain: 'membership', team: 'accounts', schema });
  return { id, product };
}

async function api(session, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// `users` with a field added without a default and `regionid` turned into a number: both break BACKWARD consumers.
const BREAKING_USERS = {
  type: 'record', name: 'User', namespace: 'com.acme.membership',
  fields: [
    { name: 'userid', type: 'string' },
    { name: 'registertime', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'regionid', type: 'int' },
    { name: 'gender', type: { type: 'enum', name: 'Gender', symbols: ['FEMALE', 'MALE', 'OTHER'] } },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'plan', type: 'string' },
  ],
};

test('an owner sees their team\'s products with status and links, and the topics they could publish', async () => {
  const { page, errors } = await alicePage();
  await page.goto(`${baseUrl}/manage`);
  const users = page.locator('[data-testid="owned-product"][data-product-id="users"]');
  await users.waitFor({ timeout: 30_000 });
  assert.match(await users.getByTestId('owned-status').innerText(), /^(active|deprecated)$/);
  assert.equal(await users.getByTestId('owned-manage-link').getAttribute('href'), '/manage/users');
  // Only team accounts' products: none of the other teams'.
  assert.equal(await page.locator('[data-testid="owned-product"][data-product-id="pageviews"]').count(), 0);

  // Topics not yet products are offered (other journeys may have published some; the demo seeds two).
  const publishable = page.getByTestId('publishable-topics');
  await publishable.locator('[data-testid="publishable-topic"], [data-testid="empty-state"]').first().waitFor();
  const topics = publishable.getByTestId('publishable-topic');
  if (await topics.count() > 0) {
    assert.match(await topics.first().getByTestId('publish-link').getAttribute('href'), /^\/publish\?topic=/);
  }
  await screenshot(page, 'manage');
  assert.deepEqual(errors, []);
});

test('a breaking schema change is checked first, each break named, and registering it is refused', async () => {
  const { page, errors, session } = await alicePage();
  const before = await api(session, 'GET', '/api/v1/products/users');
  await page.goto(`${baseUrl}/manage`);
  await page.locator('[data-testid="owned-product"][data-product-id="users"] [data-testid="owned-manage-link"]')
    .click({ timeout: 30_000 });
  await page.waitForURL(/\/manage\/users$/);

  const schema = page.getByTestId('evolve-schema');
  await schema.waitFor({ timeout: 30_000 });
  assert.match(await schema.inputValue(), /"User"/, 'the form starts from the current schema');
  await schema.fill(JSON.stringify(BREAKING_USERS, null, 2));
  await page.getByTestId('evolve-check').click();

  // The dry run's answer: not compatible at the registry's level, each breaking change in words.
  const answer = page.getByTestId('compatibility-answer');
  await answer.waitFor();
  assert.equal(await answer.getAttribute('data-compatible'), 'false');
  assert.match(await answer.getByTestId('compatibility-verdict').innerText(), /Breaking at the registry's level BACKWARD/);
  const breaking = answer.locator('[data-testid="schema-change"][data-breaking="true"]');
  const breaks = await breaking.allInnerTexts();
  assert.ok(breaks.some((text) => /plan/.test(text)), `the added field is named: ${breaks}`);
  assert.ok(breaks.some((text) => /regionid/.test(text)), `the changed type is named: ${breaks}`);

  // Registering it anyway: the API refuses with incompatible_schema, and the way out is offered.
  await page.getByTestId('evolve-submit').click();
  const refused = page.getByTestId('evolve-refused');
  await refused.waitFor();
  assert.equal(await refused.getByTestId('error-code').innerText(), 'incompatible_schema');
  assert.ok(await refused.getByTestId('breaking-change').count() >= 2);
  assert.match(await refused.innerText(), /plan/);
  assert.ok(await refused.getByTestId('publish-major').isVisible());
  await refused.scrollIntoViewIfNeeded();
  await screenshot(page, 'evolve-refused');

  // Nothing was registered.
  const after = await api(session, 'GET', '/api/v1/products/users');
  assert.deepEqual(after.body.versions, before.body.versions);
  assert.deepEqual(errors, []);
});

test('a breaking change published as a new major version makes <id>.v2 and deprecates the old product', async () => {
  const { id } = await accountsProduct('manage-major');
  const { page, errors } = await alicePage();
  await page.goto(`${baseUrl}/manage/${id}`);
  const schema = page.getByTestId('evolve-schema');
  await schema.waitFor({ timeout: 30_000 });
  // `at` becomes a string: consumers of the current version could not read it.
  await schema.fill(JSON.stringify({
    type: 'record', name: 'Event', namespace: 'test',
    fields: [{ name: 'id', type: 'string' }, { name: 'at', type: 'string' }],
  }));
  await page.getByTestId('evolve-check').click();
  await page.locator('[data-testid="compatibility-answer"][data-compatible="false"]').waitFor();
  await page.getByTestId('evolve-submit').click();
  await page.getByTestId('publish-major').click();

  const created = page.getByTestId('new-product');
  await created.waitFor({ timeout: 30_000 });
  assert.equal(await created.innerText(), `${id}.v2`);
  await page.locator('[data-testid="manage-status"]', { hasText: 'deprecated' }).waitFor();
  assert.equal(await page.getByTestId('manage-replacement').innerText(), `${id}.v2`);

  await created.click();
  await page.waitForURL(new RegExp(`/manage/${id.replaceAll('.', '\\.')}\\.v2$`));
  await page.locator('[data-testid="manage-status"]', { hasText: 'active' }).waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('manage-current-schema').textContent(), /"at"/);
  assert.deepEqual(errors, []);
});

test('an owner edits the metadata with the shared form, and it is stored', async () => {
  const { id } = await accountsProduct('manage-edit');
  const { page, errors } = await alicePage();
  await page.goto(`${baseUrl}/manage/${id}`);
  const form = page.getByTestId('edit-form');
  await form.waitFor({ timeout: 30_000 });
  const revision = await page.getByTestId('manage-revision').innerText();

  // The form starts from the stored product; a field broken by the policy is named before anything is sent.
  const name = form.getByTestId('field-name');
  assert.equal(await name.inputValue(), `Test product ${id}`);
  await name.fill('');
  await form.getByTestId('edit-submit').click();
  await page.getByTestId('problem-summary').waitFor();
  assert.equal(await name.getAttribute('aria-invalid'), 'true');

  await name.fill('Members, renamed');
  await form.getByTestId('field-description.purpose').fill('Every member, as the accounts team keeps them.');
  await form.getByTestId('edit-submit').click();
  await page.getByTestId('edit-done').waitFor();
  assert.equal(await page.getByTestId('manage-name').innerText(), 'Members, renamed');
  assert.notEqual(await page.getByTestId('manage-revision').innerText(), revision);

  // Stored: a fresh page reads it back into the form.
  await page.reload();
  await page.getByTestId('edit-form').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('field-name').inputValue(), 'Members, renamed');
  assert.equal(await page.getByTestId('field-description.purpose').inputValue(),
    'Every member, as the accounts team keeps them.');
  assert.deepEqual(errors, []);
});

test('an edit made on a stale read is refused as a conflict, and reloading shows the other change', async () => {
  const { id, product } = await accountsProduct('manage-edit-stale');
  const { page, errors, session } = await alicePage();
  await page.goto(`${baseUrl}/manage/${id}`);
  await page.getByTestId('edit-form').waitFor({ timeout: 30_000 });

  // Someone else renames it after the page read it.
  const meanwhile = await api(session, 'PUT', `/api/v1/products/${id}`, { ...product, name: 'Renamed elsewhere' });
  assert.equal(meanwhile.status, 200);

  await page.getByTestId('field-name').fill('Renamed here');
  await page.getByTestId('edit-submit').click();
  const conflict = page.getByTestId('change-error');
  await conflict.waitFor();
  assert.equal(await conflict.getByTestId('error-code').innerText(), 'conflict');

  await conflict.getByTestId('reload-product').click();
  await page.locator('[data-testid="manage-name"]', { hasText: 'Renamed elsewhere' }).waitFor();
  assert.equal(await page.getByTestId('field-name').inputValue(), 'Renamed elsewhere', 'the form shows their change');
  await page.getByTestId('field-name').fill('Renamed here');
  await page.getByTestId('edit-submit').click();
  await page.getByTestId('edit-done').waitFor();
  assert.equal(await page.getByTestId('manage-name').innerText(), 'Renamed here');
  assert.deepEqual(errors, []);
});

test('an owner deprecates a product with a sunset date and a replacement, and its status says so', async () => {
  const { id } = await accountsProduct('manage-deprecate');
  const { page, errors } = await alicePage();
  await page.goto(`${baseUrl}/manage/${id}`);
  await page.getByTestId('deprecate-form').waitFor({ timeout: 30_000 });
  // The page's contents lead to the section without leaving the page.
  await page.getByRole('navigation', { name: 'Changes to this product' }).getByRole('link', { name: 'Deprecate' })
    .click();
  await page.waitForURL(/#deprecate-title$/);
  assert.ok(await page.getByTestId('deprecate-sunset').isVisible());

  await page.getByTestId('deprecate-sunset').fill('2031-03-31');
  const replacement = page.getByTestId('deprecate-replacement');
  await replacement.fill('users');
  // The replacement is offered from the catalog as the person types.
  await page.locator('#deprecate-replacement-options option[value="users"]').waitFor({ state: 'attached' });
  await page.getByTestId('deprecate-message').fill('Read users instead: it has everything this one had.');
  await page.getByTestId('deprecate-submit').click();

  await page.getByTestId('deprecate-done').waitFor();
  assert.equal(await page.getByTestId('manage-status').innerText(), 'deprecated');
  assert.equal(await page.getByTestId('manage-sunset').innerText(), '2031-03-31');
  assert.equal(await page.getByTestId('manage-replacement').innerText(), 'users');
  await page.getByTestId('manage-summary').scrollIntoViewIfNeeded();
  await screenshot(page, 'deprecate');

  // Stored: a fresh page and the list say the same.
  await page.reload();
  await page.locator('[data-testid="manage-sunset"]', { hasText: '2031-03-31' }).waitFor({ timeout: 30_000 });
  await page.goto(`${baseUrl}/manage`);
  const row = page.locator(`[data-testid="owned-product"][data-product-id="${id}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await row.getByTestId('owned-status').innerText(), 'deprecated');
  assert.match(await row.getByTestId('owned-sunset').innerText(), /2031-03-31/);
  assert.deepEqual(errors, []);
});

test('a change made on a stale read is refused as a conflict, and reloading lets the person try again', async () => {
  const { id, product } = await accountsProduct('manage-stale');
  const { page, errors, session } = await alicePage();
  await page.goto(`${baseUrl}/manage/${id}`);
  await page.getByTestId('deprecate-form').waitFor({ timeout: 30_000 });

  // Someone else deprecates it after the page read it.
  const meanwhile = await api(session, 'POST', `/api/v1/products/${id}/deprecate`,
    { sunset: '2030-01-31', message: 'changed elsewhere', revision: product.revision });
  assert.equal(meanwhile.status, 200);

  await page.getByTestId('deprecate-sunset').fill('2031-06-30');
  await page.getByTestId('deprecate-submit').click();
  const conflict = page.getByTestId('change-error');
  await conflict.waitFor();
  assert.equal(await conflict.getByTestId('error-code').innerText(), 'conflict');
  assert.match(await conflict.innerText(), /Someone else changed this product/);

  await conflict.getByTestId('reload-product').click();
  await page.locator('[data-testid="manage-sunset"]', { hasText: '2030-01-31' }).waitFor();
  assert.equal(await page.getByTestId('deprecate-sunset').inputValue(), '2031-06-30', 'what was typed stays');
  await page.getByTestId('deprecate-submit').click();
  await page.getByTestId('deprecate-done').waitFor();
  assert.equal(await page.getByTestId('manage-sunset').innerText(), '2031-06-30');
  assert.deepEqual(errors, []);
});

test('on a phone-sized screen, a product is retired with the keyboard only, after confirming', async () => {
  const { id } = await accountsProduct('manage-retire');
  const { page, errors } = await alicePage({ width: 360, height: 740 });
  await page.goto(`${baseUrl}/manage/${id}`);
  const submit = page.getByTestId('retire-submit');
  await submit.waitFor({ timeout: 30_000 });
  // The page's content (the site header is the portal's frame, not this page's) fits the screen.
  const overflow = await page.evaluate(() => Math.max(...[...document.querySelectorAll('#main *')]
    .map((e) => e.getBoundingClientRect().right)) - window.innerWidth);
  assert.ok(overflow <= 0, `the page fits 360 px (it is ${overflow} px wider)`);

  // Enter on the button without confirming: asked to confirm, with focus on the box.
  await submit.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('retire-confirm-error').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'retire-confirm');
  assert.equal(await page.getByTestId('manage-status').innerText(), 'active');

  // Space ticks the box, Tab reaches the button, Enter retires.
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'retire-submit');
  await page.keyboard.press('Enter');
  await page.getByTestId('retire-done').waitFor();
  assert.equal(await page.getByTestId('manage-status').innerText(), 'retired');
  await screenshot(page, 'retire-phone');
  assert.deepEqual(errors, []);
});

test('someone outside the owning team sees the product read-only, and nobody signed in is asked to sign in', async () => {
  const context = await browser.newContext();
  await signIn(context, { user: 'dana', teams: ['edge'] });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/manage/users`);
  const note = page.getByTestId('read-only-note');
  await note.waitFor({ timeout: 30_000 });
  assert.match(await note.innerText(), /accounts/);
  assert.equal(await page.getByTestId('evolve').count(), 0);

  const anonymous = await browser.newPage();
  await anonymous.goto(`${baseUrl}/manage/users`);
  await anonymous.getByTestId('sign-in-prompt').waitFor({ timeout: 30_000 });
  assert.equal(await anonymous.getByTestId('sign-in-prompt-link').getAttribute('href'),
    `/sign-in?next=${encodeURIComponent('/manage/users')}`);
});
