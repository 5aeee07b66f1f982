// Publish: a member of team edge turns the demo topic clickstream.raw into a data product, fixing what the policy
// reports on the way; what the policy demands shows next to its field before anything is sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, overflowing, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The ids a field's control points at with aria-describedby.
async function describedBy(locator) {
  return ((await locator.getAttribute('aria-describedby')) ?? '').split(/\s+/);
}

test('an edge member publishes clickstream.raw after fixing the violation shown next to its field', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signIn(context, { user: 'bob', teams: ['edge'] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${baseUrl}/publish`);
  // Bob's only team is edge, of domain analytics.
  await page.getByTestId('field-domain').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('field-domain').inputValue(), 'analytics');
  assert.equal(await page.getByTestId('field-owner.team').inputValue(), 'edge');

  const topic = page.locator('[data-testid="topic-option"][data-topic="clickstream.raw"]');
  await topic.check({ timeout: 30_000 });
  // The value schema's fields are previewed, and offered as personal-data choices.
  await page.getByTestId('schema-preview').getByTestId('schema-fields').waitFor();
  assert.ok(await page.getByTestId('schema-preview').getByTestId('schema-field').count() >= 1);
  assert.equal(await page.getByTestId('field-id').inputValue(), 'clickstream.raw', 'the id follows the topic');

  await page.getByTestId('field-name').fill('Clicks');
  await page.getByTestId('field-description.purpose').fill('Every click on the web shop, as the edge tier saw it.');
  // The policy requires a contact: leave it empty and submit.
  await page.getByTestId('publish-submit').click();

  const summary = page.getByTestId('problem-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /Contact: the policy requires owner\.contact/);
  assert.ok(await summary.evaluate((el) => el === document.activeElement), 'the summary takes the focus');
  const contact = page.getByTestId('field-owner.contact');
  const contactError = page.getByTestId('error-owner.contact');
  assert.match(await contactError.innerText(), /the policy requires owner\.contact/);
  assert.equal(await contact.getAttribute('aria-invalid'), 'true');
  assert.ok((await describedBy(contact)).includes(await contactError.getAttribute('id')));
  await screenshot(page, 'publish-violation');

  // The summary's link leads to the field; fixing it clears the violation as it is typed.
  await summary.getByRole('link', { name: 'Contact' }).click();
  assert.ok(await contact.evaluate((el) => el === document.activeElement), 'the link focuses the field');
  await page.keyboard.type('edge@acme.example');
  await page.waitForFunction(() => document.querySelector('[data-testid="error-owner.contact"]').textContent === '');
  assert.equal(await contact.getAttribute('aria-invalid'), 'false');
  assert.equal(await summary.isVisible(), false, 'nothing is left to fix');

  assert.deepEqual(errors, []);
  // Submitting from the keyboard: Enter in a text field submits the form.
  await page.getByTestId('field-name').press('Enter');
  await page.waitForURL(`${baseUrl}/products/clickstream.raw`, { timeout: 30_000 });
  await page.getByTestId('product-title').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('product-title').innerText(), /Clicks/);
  await screenshot(page, 'publish-done');
});

test('a topic without a schema cannot be published, and the form says why before sending anything', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  await signIn(context, { user: 'carol', teams: ['edge'] });
  const page = await context.newPage();
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.url()); });

  await page.goto(`${baseUrl}/publish`);
  await page.locator('[data-testid="topic-option"][data-topic="inventory.snapshots"]').check({ timeout: 30_000 });
  await page.getByTestId('schema-missing').waitFor();
  await page.getByTestId('publish-submit').click();
  const error = page.getByTestId('error-output_port.value_subject');
  assert.match(await error.innerText(), /has no value schema: register inventory\.snapshots-value first/);
  assert.deepEqual(sent.filter((url) => url.endsWith('/products/publish')), [], 'nothing was published');
  // At 360 px wide nothing scrolls sideways.
  assert.deepEqual(await overflowing(page), [], 'nothing in the page reaches past a 360 px screen');
  await screenshot(page, 'publish-narrow');
});

test('publishing asks to sign in first, and explains when the person has no team', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/publish`);
  const prompt = page.getByTestId('sign-in-prompt');
  await prompt.waitFor({ timeout: 30_000 });
  assert.match(await prompt.getByRole('link', { name: 'Sign in' }).getAttribute('href'), /^\/sign-in\?next=%2Fpublish$/);

  const context = await browser.newContext();
  await signIn(context, { user: 'erin', teams: [] });
  const lonely = await context.newPage();
  await lonely.goto(`${baseUrl}/publish`);
  assert.match(await lonely.getByTestId('no-team').innerText({ timeout: 30_000 }), /belong to no team/);
});

test('a link naming a topic opens the form with that topic chosen', async () => {
  const context = await browser.newContext();
  await signIn(context, { user: 'carol', teams: ['edge'] });
  const page = await context.newPage();

  await page.goto(`${baseUrl}/publish?topic=inventory.snapshots`);

  const option = page.locator('[data-testid="topic-option"][data-topic="inventory.snapshots"]');
  await option.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="topic-option"][data-topic="inventory.snapshots"]')?.checked === true);
  await page.getByTestId('schema-missing').waitFor();
});

test('a sign-in that expires in the middle of the form loses nothing: signed in again, the typed fields are back', async () => {
  const context = await browser.newContext();
  // A session that expires seconds from now, put in place for the first page only (a sign-in later replaces it).
  const response = await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'bob', teams: ['edge'] }),
  });
  const expiresAt = Date.now() + 6_000;
  const session = { ...(await response.json()), expires_at: new Date(expiresAt).toISOString() };
  await context.addInitScript((text) => {
    if (!sessionStorage.getItem('test.seeded')) {
      localStorage.setItem('meshport.session', text);
      sessionStorage.setItem('test.seeded', 'yes');
    }
  }, JSON.stringify(session));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // inventory.snapshots: the first journey here publishes clickstream.raw, and this one only types.
  await page.goto(`${baseUrl}/publish`);
  await page.locator('[data-testid="topic-option"][data-topic="inventory.snapshots"]').check({ timeout: 30_000 });
  await page.getByTestId('field-name').fill('Clicks typed before the sign-in expired');
  await page.getByTestId('field-description.purpose').fill('Every click on the web shop.');
  await page.getByTestId('field-owner.contact').fill('edge@acme.example');
  // The next call to the API (asking it to check the form) finds the session expired: the form makes way for the
  // sign-in prompt.
  await page.waitForTimeout(Math.max(0, expiresAt - Date.now() + 500));
  await page.getByTestId('publish-check').click();
  await page.getByTestId('sign-in-prompt').waitFor({ timeout: 30_000 });

  await page.getByTestId('sign-in-prompt').getByRole('link', { name: 'Sign in' }).click();
  await page.getByTestId('sign-in-as-bob').click();
  await page.waitForURL(`${baseUrl}/publish`);

  await page.getByTestId('draft-restored').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('field-name').inputValue(), 'Clicks typed before the sign-in expired');
  assert.equal(await page.getByTestId('field-description.purpose').inputValue(), 'Every click on the web shop.');
  assert.equal(await page.getByTestId('field-owner.contact').inputValue(), 'edge@acme.example');
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="topic-option"][data-topic="inventory.snapshots"]')?.checked === true);
  await screenshot(page, 'publish-draft-restored');
  assert.deepEqual(errors, []);
});

test("going to another bundle's page, away, and there again lands on the page every time", async () => {
  const context = await browser.newContext();
  await signIn(context, { user: 'bob', teams: ['edge'] });
  const page = await context.newPage();
  for (let visit = 1; visit <= 2; visit += 1) {
    await page.goto(`${baseUrl}/`);
    await page.locator('[data-testid="product-row"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole('navigation').getByRole('link', { name: 'Publish', exact: true }).click();
    await page.getByTestId('publish-form').waitFor({ timeout: 30_000 });
  }
});
