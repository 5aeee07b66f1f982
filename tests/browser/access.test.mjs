// Access: a consumer team asks to read a product from its page (the Access page's form, its own bundle), an owner
// approves it in the Access page's inbox (Meshport creates the Kafka ACLs on the secured broker), the consumer sees
// the grant in My access with its consumer code filled in (the product page names its team a subscriber, and the
// owners' view of ACLs no grant explains leaves the grant's out), and the owner revokes it with a reason. A team
// creates a service account on the Access bundle's accounts page and sees its password once, and sets its
// notification channels, whose secrets are never shown back.
//
// The journey uses a product created for it (owned by `edge`), asked for by `insights` as its demo principal
// `svc-fraud` (scripts/kafka.sh), so the demo's own grant (`insights` on `stocktrades`) is left alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, createProduct, uniqueId, personPage } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The row of request `id` in one of the Access page's lists (`my-access` or `access-inbox`), once it is in `state`.
async function requestIn(page, list, id, state) {
  const row = page.getByTestId(list).locator(`[data-request-id="${id}"]`);
  await row.locator(`[data-testid="access-state"]:text-is("${state}")`).waitFor({ timeout: 30_000 });
  return row;
}

test('a team asks for access, an owner approves it, the team sees its grant with its code, and the owner revokes it',
  async () => {
    const id = uniqueId('access');
    await createProduct({ id, domain: 'analytics', team: 'edge' });
    const consumer = await personPage(browser, { user: 'carol', teams: ['insights'] });
    const owner = await personPage(browser, { user: 'bob', teams: ['edge'] });

    // The consumer may not see events yet, and is told how to change that.
    await consumer.page.goto(`${baseUrl}/products/${id}`);
    await consumer.page.getByTestId('sample-load').click();
    await consumer.page.getByTestId('sample-needs-access').waitFor({ timeout: 30_000 });

    // The product page's Access section leads to the request form, on the Access page.
    await consumer.page.getByTestId('access-link').click();
    await consumer.page.waitForURL(`${baseUrl}/access?product=${id}`);

    // The request, with the organisation's limit stated before it is sent.
    const form = consumer.page.getByTestId('access-form');
    await form.waitFor({ timeout: 30_000 });
    assert.match(await form.getByTestId('access-limits').innerText(), /at most 365 days/);
    await form.getByTestId('access-purpose').fill('Fraud scoring of page views');
    await form.getByTestId('access-principals').fill('User:svc-fraud');
    assert.equal(await form.getByTestId('access-group').inputValue(), `insights.${id}`);
    await form.getByTestId('access-submit').click();
    const open = consumer.page.getByTestId('access-ask').getByTestId('access-request');
    await open.locator('[data-testid="access-state"]:text-is("requested")').waitFor({ timeout: 30_000 });
    assert.equal(await consumer.page.getByTestId('access-form').count(), 0, 'one open request per team');
    const requestId = await open.getAttribute('data-request-id');
    await requestIn(consumer.page, 'my-access', requestId, 'requested');
    await screenshot(consumer.page, 'access-requested');

    // The owner approves it in the inbox: Meshport creates and checks the ACLs, then the grant is active.
    await owner.page.goto(`${baseUrl}/access`);
    const asked = await requestIn(owner.page, 'access-inbox', requestId, 'requested');
    assert.match(await asked.innerText(), /Fraud scoring of page views/);
    await asked.getByTestId('access-approve').click();
    await requestIn(owner.page, 'access-inbox', requestId, 'active');

    // The product page names the team granted access; on the Access page for the product, its owners read the ACLs
    // on its topic that no grant explains: none, since the grant's are explained and so are the WRITE and DESCRIBE
    // of the owning team's producer (svc-edge, granted at publication).
    await owner.page.goto(`${baseUrl}/products/${id}`);
    await owner.page.locator('[data-testid="consumer-subscribers"]:text-is("Subscribers, the teams granted access: insights.")')
      .waitFor({ timeout: 30_000 });
    await owner.page.goto(`${baseUrl}/access?product=${id}`);
    const unmanaged = owner.page.getByTestId('access-unmanaged');
    await unmanaged.locator('[data-testid="unmanaged-list"], [data-testid="unmanaged-none"]').waitFor({ timeout: 30_000 });
    assert.doesNotMatch(await unmanaged.innerText(), /svc-fraud|svc-edge/);
    assert.equal(await unmanaged.getByTestId('unmanaged-none').count(), 1);

    // The consumer finds the grant in My access (the nav's Access link), with its consumer code filled in.
    await consumer.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access' }).click();
    const grant = await requestIn(consumer.page, 'my-access', requestId, 'active');
    assert.equal(await grant.getByTestId('access-cancel').count(), 0, 'an active grant is not cancelled');
    await grant.getByTestId('access-show-consume').click();
    const snippet = grant.getByTestId('consume-snippet');
    await snippet.waitFor({ timeout: 30_000 });
    const code = await snippet.innerText();
    assert.match(code, /"sasl\.username", "svc-fraud"/);
    assert.match(code, new RegExp(`"group\\.id", "insights\\.${id.replace(/\./g, '\\.')}"`));
    await screenshot(consumer.page, 'access-mine');

    // The owner revokes it, with the reason the consumer then reads.
    const active = await requestIn(owner.page, 'access-inbox', requestId, 'active');
    await active.getByTestId('access-revoke').click();
    await active.getByTestId('access-reason').fill('The fraud pilot ended');
    await active.getByTestId('access-confirm').click();
    await requestIn(owner.page, 'access-inbox', requestId, 'revoked');
    await screenshot(owner.page, 'access-inbox');

    await consumer.page.reload();
    const revoked = await requestIn(consumer.page, 'my-access', requestId, 'revoked');
    assert.match(await revoked.getByTestId('access-why').innerText(), /The fraud pilot ended/);

    assert.deepEqual(consumer.errors, []);
    assert.deepEqual(owner.errors, []);
    await consumer.context.close();
    await owner.context.close();
  });

// The password shown in the once-shown box, after checking the box says so and offers a copy.
async function oncePassword(page) {
  const secret = page.getByTestId('account-secret');
  await secret.waitFor({ timeout: 30_000 });
  assert.match(await secret.getByTestId('account-secret-warning').innerText(), /it will not be shown again/);
  await secret.getByTestId('copy-button').click();
  await secret.locator('[data-testid="copy-status"]:not(:empty)').waitFor({ timeout: 10_000 });
  return secret.getByTestId('account-secret-password').innerText();
}

test('a team creates a service account and sees its password once, rotates it for a new one, then deletes it',
  async () => {
    const owner = await personPage(browser, { user: 'bob', teams: ['edge'] });
    const { page } = owner;
    const principal = `User:${uniqueId('svc-journey')}`;
    const nowhereStored = (password) => page.evaluate((p) => [localStorage, sessionStorage]
      .every((s) => Object.keys(s).every((k) => !(s.getItem(k) ?? '').includes(p))), password);

    // From the Access page to the team's service accounts, in the same bundle.
    await page.goto(`${baseUrl}/access`);
    await page.getByTestId('accounts-link').click();
    await page.waitForURL(`${baseUrl}/access/accounts`);

    // Meshport creates the account with a password, shown this once.
    const form = page.getByTestId('account-form');
    await form.waitFor({ timeout: 30_000 });
    await form.getByTestId('account-principal').fill(principal);
    await form.getByTestId('account-submit').click();
    const password = await oncePassword(page);
    assert.ok(password.length >= 16, 'a long random password');
    assert.ok(await nowhereStored(password), 'the password is in no storage');
    await screenshot(page, 'access-account-created');
    const row = page.locator(`[data-testid="account"][data-principal="${principal}"]`);
    assert.match(await row.getByTestId('account-facts').innerText(), /consumer; Meshport manages its credentials/);
    await page.getByTestId('account-secret-done').click();
    assert.equal(await page.getByTestId('account-secret').count(), 0);

    // Read again, the page lists the account but never the password.
    await page.reload();
    await row.waitFor({ timeout: 30_000 });
    assert.ok(!(await page.locator('body').innerText()).includes(password), 'the password is not shown again');

    // Rotating shows a new password, once.
    await row.getByTestId('account-rotate').click();
    await row.getByTestId('account-confirm-yes').click();
    const rotated = await oncePassword(page);
    assert.notEqual(rotated, password);
    await page.getByTestId('account-secret-done').click();

    // No request names it, so it can be deleted.
    await row.getByTestId('account-delete').click();
    await row.getByTestId('account-confirm-yes').click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });

    assert.deepEqual(owner.errors, []);
    await owner.context.close();
  });

test('a team sets its notification channels, sees its secrets only as set, keeps them unseen, and a refused URL next to its field',
  async () => {
    // A team of the journey's own, so no other journey's channels change.
    const team = uniqueId('channels').replace(/\./g, '-');
    const member = await personPage(browser, { user: 'dana', teams: [team] });
    const { page } = member;
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const slack = `https://hooks.slack.com/services/T0/B0/${uniqueId('s3cret')}`;

    // From the Access page to the team's channels, in the same bundle.
    await page.goto(`${baseUrl}/access`);
    await page.getByTestId('channels-link').click();
    await page.waitForURL(`${baseUrl}/access/channels`);
    const form = page.getByTestId('channels-form');
    await form.waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('channel-webhook').innerText(), 'not set');

    // A webhook into this machine is refused, next to its field, and nothing is stored.
    await form.getByTestId('channels-email').fill(`${team}@acme.example`);
    await form.getByTestId('channels-webhook-url').fill('http://127.0.0.1:9/in');
    await form.getByTestId('channels-webhook-secret').fill(secret);
    await form.getByTestId('channels-slack').fill(slack);
    await form.getByTestId('channels-submit').click();
    const refused = page.getByTestId('channels-webhook-url-error');
    await refused.waitFor({ timeout: 30_000 });
    assert.match(await refused.innerText(), /loopback or private address/);

    // A public one is stored; the page then says the secrets are set, and never shows them.
    await form.getByTestId('channels-webhook-url').fill('https://hooks.acme.example/meshport');
    await form.getByTestId('channels-submit').click();
    await page.getByTestId('channels-saved').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('channel-webhook').innerText(), 'https://hooks.acme.example/meshport (secret set)');
    assert.equal(await page.getByTestId('channel-slack').innerText(), 'set');
    assert.equal(await page.getByTestId('channel-email').innerText(), `${team}@acme.example`);
    await screenshot(page, 'access-channels-set');
    await page.reload();
    await page.getByTestId('channels-form').waitFor({ timeout: 30_000 });
    const shown = await page.locator('body').innerText();
    assert.ok(!shown.includes(secret) && !shown.includes(slack), 'no secret is shown back');
    assert.equal(await page.getByTestId('channels-webhook-secret').inputValue(), '');

    // A change of the email alone keeps the secrets as set, without typing them again; a ticked removal removes Slack.
    await form.getByTestId('channels-email').fill(`${team}-ops@acme.example`);
    await form.getByTestId('channels-submit').click();
    await page.getByTestId('channel-email').filter({ hasText: `${team}-ops@acme.example` }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('channel-webhook').innerText(), 'https://hooks.acme.example/meshport (secret set)');
    assert.equal(await page.getByTestId('channel-slack').innerText(), 'set');
    await form.getByTestId('channels-slack-remove').check();
    await form.getByTestId('channels-submit').click();
    await page.getByTestId('channel-slack').filter({ hasText: 'not set' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('channel-webhook').innerText(), 'https://hooks.acme.example/meshport (secret set)');

    assert.deepEqual(member.errors, []);
    await member.context.close();
  });
