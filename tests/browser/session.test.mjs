// Signing in and out, and the mesh's activity feed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a person signs in as a demo user, sees their team in the header, and signs out', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${baseUrl}/sign-in?next=${encodeURIComponent('/activity')}`);
  await page.getByTestId('sign-in-as-alice').click();
  await page.waitForURL(/\/activity$/);
  assert.equal(await page.getByTestId('signed-in-name').innerText(), 'Alice');
  assert.equal(await page.getByTestId('signed-in-teams').innerText(), 'accounts');

  // The session survives a reload.
  await page.reload();
  await page.getByTestId('signed-in').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('sign-in-link').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('meshport.session')), null);
  assert.deepEqual(errors, []);
});

test('sign-in never sends a person to another site afterwards', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/sign-in?next=${encodeURIComponent('//evil.example/')}`);
  await page.getByTestId('sign-in-as-admin').click();
  await page.waitForURL(`${baseUrl}/`);
});

test('the activity feed lists the newest changes with who made them', async () => {
  const context = await browser.newContext();
  await signIn(context, { user: 'dana', teams: ['edge'] });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/activity`);
  const items = page.getByTestId('activity-item');
  await items.first().waitFor({ timeout: 30_000 });
  assert.ok(await items.count() >= 3, 'the demo mesh published at least three products');
  const text = await page.getByTestId('activity').innerText();
  assert.match(text, /Published|Created/);
  assert.match(text, /users/);
  await screenshot(page, 'activity');
});

test('a newcomer opens the portal signed out, picks a demo person there, and sees the data products', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseUrl}/`);

  // A calm way in, not an error, and none of the API's words for programs.
  const prompt = page.getByTestId('sign-in-prompt');
  await prompt.waitFor({ timeout: 30_000 });
  assert.match(await prompt.innerText(), /Sign in to see the data products/);
  await prompt.getByTestId('demo-people').waitFor();
  assert.equal(await page.getByTestId('error-state').count(), 0);
  assert.doesNotMatch(await page.locator('main').innerText(), /Bearer|Authorization|unauthorized/);
  await screenshot(page, 'signed-out-explore');

  await prompt.getByTestId('sign-in-as-alice').click();
  await page.locator('[data-testid="product-row"][data-product-id="users"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('signed-in-name').innerText(), 'Alice');
  assert.equal(new URL(page.url()).pathname, '/', 'the visitor stays where they were');
  assert.equal(await page.getByTestId('sign-in-prompt').count(), 0);
  assert.deepEqual(errors, []);
});

test('a visitor signing in from a shared search keeps that search', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/?q=users`);
  await page.getByTestId('sign-in-prompt').getByTestId('sign-in-as-bob').click({ timeout: 30_000 });
  await page.locator('[data-testid="product-row"][data-product-id="users"]').waitFor({ timeout: 30_000 });
  assert.match(page.url(), /\/\?q=users$/);
  await screenshot(page, 'signed-in-search');
});

test('a signed-out visitor on a product page or the activity feed is offered the same way in', async () => {
  const page = await browser.newPage();
  for (const path of ['/products/users', '/activity']) {
    await page.goto(baseUrl + path);
    await page.getByTestId('sign-in-prompt').getByTestId('demo-people').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('error-state').count(), 0, path);
  }
});

test('on a 360 px wide phone the header wraps and no page scrolls sideways', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  await signIn(context, { user: 'erin-with-a-long-name', teams: ['insights', 'edge'] });
  const page = await context.newPage();
  for (const path of ['/', '/activity', '/products/users', '/manage', '/publish', '/create']) {
    await page.goto(baseUrl + path);
    await page.getByTestId('signed-in').waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
  }
  await page.goto(baseUrl + '/');
  await screenshot(page, 'explore-phone');
});

// The organisation's identity provider: a real OpenID Connect provider (tests/browser/idp.mjs) that the stack made
// the portal a client of. Its sign-in form takes any password.
async function signInAtTheProvider(page, login) {
  await page.locator('input[name="login"]').waitFor({ timeout: 30_000 });
  assert.ok(page.url().startsWith(process.env.MESHPORT_IDP_URL), `at the provider, not ${page.url()}`);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password will do');
  await page.click('button[type="submit"]');
}

test('a person signs in at the organisation\'s identity provider and comes back signed in with their teams', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${baseUrl}/sign-in?next=${encodeURIComponent('/activity')}`);
  await page.getByTestId('sign-in-organisation').click();
  await signInAtTheProvider(page, 'carol');
  await page.waitForURL(`${baseUrl}/activity`, { timeout: 30_000 });

  assert.equal(await page.getByTestId('signed-in-name').innerText(), 'Carol Example');
  assert.equal(await page.getByTestId('signed-in-teams').innerText(), 'accounts, insights');
  const session = JSON.parse(await page.evaluate(() => localStorage.getItem('meshport.session')));
  const claims = JSON.parse(Buffer.from(session.token.split('.')[1], 'base64url'));
  assert.equal(claims.iss, process.env.MESHPORT_IDP_URL, 'the API accepts the provider\'s own ID token');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('meshport.sign-in')), null, 'the PKCE record is gone');
  // The address with the provider's code is not in the history: back leaves the portal's sign-in behind.
  await page.goBack();
  assert.ok(!page.url().includes('code='), page.url());
  await screenshot(page, 'signed-in-at-the-provider');
  assert.deepEqual(errors, []);
});

test('a sign-in cancelled at the provider, or an answer replayed, is refused with a clear code', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByTestId('sign-in-organisation').click();
  await page.locator('input[name="login"]').waitFor({ timeout: 30_000 });
  await page.getByText('[ Cancel ]').click();
  await page.waitForURL(/\/sign-in\?/);
  assert.equal(await page.getByTestId('error-code').innerText(), 'access_denied');
  await page.getByTestId('sign-in-organisation').waitFor();
  await screenshot(page, 'sign-in-cancelled');

  // An answer this tab did not ask for (a link someone sent, or the same answer again) signs nobody in.
  await page.goto(`${baseUrl}/sign-in?code=stolen&state=not-ours`);
  assert.equal(await page.getByTestId('error-code').innerText(), 'sign_in_not_started_here');
  assert.equal(await page.evaluate(() => localStorage.getItem('meshport.session')), null);
});

test('signing out after signing in at the provider ends the provider\'s session too, so nobody is signed back in silently', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByTestId('sign-in-organisation').click();
  await signInAtTheProvider(page, 'dana');
  await page.getByTestId('signed-in').waitFor({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The provider asks to confirm, then sends the browser back to the portal's start page.
  await page.getByRole('button', { name: /sign me out/i }).click({ timeout: 30_000 });
  await page.waitForURL(`${baseUrl}/`, { timeout: 30_000 });
  await page.getByTestId('sign-in-link').waitFor();

  // Signing in again asks for a person at the provider instead of bringing Dana straight back.
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByTestId('sign-in-organisation').click();
  await page.locator('input[name="login"]').waitFor({ timeout: 30_000 });
  await screenshot(page, 'provider-sign-in-after-sign-out');
});
