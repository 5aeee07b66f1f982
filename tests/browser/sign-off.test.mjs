// Sign-off from the product page: a breaking change the owners propose waits for the teams that read the product, who
// follow the product page's Access link to the Access page for the product (its own bundle: the rows would put
// Discover over its size target), see the change there, and object with a reason (the change is blocked) or approve
// it (the new major version is made and the product deprecated in its favour).
//
// Each journey uses a product created for it (owned by `edge`, its owner bob), read by `insights` (carol) through a
// grant made over the API as its demo principal `svc-fraud` (scripts/kafka.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, createProduct, uniqueId, personPage, devToken, api } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The first schema of a product made by createProduct, and a change that breaks its readers (a new field without a
// default).
const FIELDS = [{ name: 'id', type: 'string' }, { name: 'at', type: 'long' }];
const BREAKING = JSON.stringify({
  type: 'record', name: 'Event', namespace: 'test', fields: [...FIELDS, { name: 'channel', type: 'string' }],
});

// A product of edge's that insights reads (its request approved, so the grant is active), with a breaking change
// proposed by its owners: answers the proposal.
async function proposedChange(id) {
  const product = await createProduct({ id, domain: 'analytics', team: 'edge' });
  const [owner, reader] = [await devToken('bob', ['edge']), await devToken('carol', ['insights'])];
  const request = await api(`/api/v1/products/${id}/access`, {
    token: reader, method: 'POST',
    body: {
      team: 'insights', purpose: 'Fraud scoring', principals: ['User:svc-fraud'], group: `insights.${id}`,
      until: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10),
    },
  });
  const granted = await api(`/api/v1/access/${request.id}/approve`, {
    token: owner, method: 'POST', body: { revision: request.revision },
  });
  assert.equal(granted.state, 'active');
  const evolved = await api(`/api/v1/products/${id}/schema`, {
    token: owner, method: 'POST',
    body: { schema: BREAKING, dry_run: false, new_major_version: true, revision: product.revision },
  });
  assert.equal(evolved.proposal?.state, 'open', 'a breaking change with a subscriber waits for sign-off');
  return evolved.proposal;
}

// The row of proposal `id` in the Access page's section for the product, once it is in `state`.
async function proposalRow(page, id, state) {
  const row = page.getByTestId('product-proposals').locator(`[data-proposal-id="${id}"][data-state="${state}"]`);
  await row.waitFor({ timeout: 30_000 });
  return row;
}

// A proposed change (proposedChange) as carol of insights sees it, open, from the product page's Access link.
async function seenByReader() {
  const id = uniqueId('signoff');
  const proposal = await proposedChange(id);
  const reader = await personPage(browser, { user: 'carol', teams: ['insights'] });
  await reader.page.goto(`${baseUrl}/products/${id}`);
  await reader.page.getByRole('link', { name: /sign off its breaking changes/ }).click();
  await reader.page.waitForURL(`${baseUrl}/access?product=${id}`);
  return { id, proposal, reader, open: await proposalRow(reader.page, proposal.id, 'open') };
}

test('a subscribing team finds a breaking change from the product page and objects with a reason: it is blocked',
  async () => {
    const { id, proposal, reader, open } = await seenByReader();
    assert.match(await open.getByTestId('proposal-breaking').innerText(), /^Breaking: /);
    assert.match(await open.getByTestId('proposal-waiting').innerText(), /Waiting for insights to approve\./);
    assert.equal(await open.getByTestId('proposal-withdraw').count(), 0, 'only the owners withdraw');

    // The objection asks for its reason, keyboard first.
    await open.getByTestId('proposal-object').focus();
    await reader.page.keyboard.press('Enter');
    await reader.page.getByLabel('Why does your team object?').fill('Our fraud model cannot fill `channel` yet');
    await open.getByTestId('proposal-confirm').click();
    const objected = await proposalRow(reader.page, proposal.id, 'objected');
    assert.match(await objected.getByTestId('proposal-votes').innerText(),
      /insights objected: Our fraud model cannot fill `channel` yet/);
    assert.equal(await objected.getByTestId('proposal-approve').count(), 0, 'the team voted');
    // The teams' list below, read again, has it no more: nothing waits for insights.
    await reader.page.getByTestId('proposals').locator(`[data-proposal-id="${proposal.id}"]`)
      .waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(reader.page, 'sign-off-objected');

    // Blocked: no new major version, and the owners see the objection and may withdraw.
    const next = await fetch(`${baseUrl}/api/v1/products/${id}.v2`, {
      headers: { authorization: `Bearer ${await devToken('bob', ['edge'])}` },
    });
    assert.equal(next.status, 404);
    const owner = await personPage(browser, { user: 'bob', teams: ['edge'] });
    await owner.page.goto(`${baseUrl}/access?product=${id}`);
    const theirs = await proposalRow(owner.page, proposal.id, 'objected');
    assert.equal(await theirs.getByTestId('proposal-withdraw').count(), 1);

    assert.deepEqual(reader.errors, []);
    assert.deepEqual(owner.errors, []);
    await reader.context.close();
    await owner.context.close();
  });

test('a subscribing team approves a breaking change found from the product page: the new major version replaces it',
  async () => {
    const { id, proposal, reader, open } = await seenByReader();
    await open.getByRole('button', { name: 'Approve' }).click();

    // The last approval makes the new major version and deprecates this one in its favour.
    const applied = await proposalRow(reader.page, proposal.id, 'applied');
    const successor = applied.getByTestId('proposal-successor').getByRole('link', { name: `${id}.v2` });
    assert.equal(await successor.getAttribute('href'), `/products/${id}.v2`);
    await screenshot(reader.page, 'sign-off-applied');
    await reader.page.goto(`${baseUrl}/products/${id}`);
    await reader.page.getByTestId('deprecation').waitFor({ timeout: 30_000 });
    assert.equal(await reader.page.getByTestId('replacement-link').innerText(), `${id}.v2`);
    await reader.page.getByTestId('replacement-link').click();
    await reader.page.locator(`[data-testid="product-page"][data-product-id="${id}.v2"]`).waitFor({ timeout: 30_000 });

    assert.deepEqual(reader.errors, []);
    await reader.context.close();
  });
