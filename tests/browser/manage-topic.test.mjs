// Manage: an owner changes their product topic's settings (more partitions, another retention), each checked against
// the policy's topic limits as they type, and the product page then shows the topic as the cluster has it.
//
// The journey uses a product created for it (one partition, the cluster's default retention), so the demo's topics
// stay as seeded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot, signIn, createProduct, uniqueId } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DAY_MS = 24 * 3_600_000;

test('an owner adds partitions and sets 30 days of retention, and the product page shows the new facts', async () => {
  const id = uniqueId('manage-topic');
  await createProduct({ id, domain: 'membership', team: 'accounts' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signIn(context, { user: 'alice', teams: ['accounts'] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${baseUrl}/manage/${id}`);
  const section = page.getByTestId('topic-settings');
  const form = section.getByTestId('topic-settings-form');
  await form.waitFor({ timeout: 30_000 });
  const revision = await page.getByTestId('manage-revision').innerText();

  // The form starts from the topic: one partition, and Kafka cannot take any away.
  const partitions = form.getByTestId('topic-settings-partitions');
  assert.equal(await partitions.inputValue(), '1');
  await partitions.fill('0');
  const partitionsError = section.getByTestId('topic-settings-partitions-error');
  await partitionsError.waitFor();
  assert.match(await partitionsError.innerText(), /cannot take partitions away/);
  assert.equal(await partitions.getAttribute('aria-invalid'), 'true');

  // More than the policy allows (48 in the demo's policy) is named before anything is sent, in the policy's words.
  await partitions.fill('49');
  await section.getByTestId('topic-settings-partitions-error').filter({ hasText: 'use 1 to 48 partitions' }).waitFor();

  // Any other retention is typed in hours or days.
  await form.getByTestId('topic-settings-retention').selectOption('hours');
  await form.getByTestId('topic-settings-retention-amount').fill('0');
  await section.getByTestId('topic-settings-retention-error').waitFor();
  await form.getByTestId('topic-settings-retention-amount').fill('36');
  assert.equal(await section.getByTestId('topic-settings-retention-error').count(), 0, '36 hours is within the limits');

  // The change: 3 partitions and 30 days.
  await partitions.fill('3');
  await form.getByTestId('topic-settings-retention').selectOption(String(30 * DAY_MS));
  assert.equal(await section.getByTestId('topic-settings-partitions-error').count(), 0);
  await form.getByTestId('topic-settings-submit').click();

  await section.getByTestId('topic-settings-done').waitFor({ timeout: 30_000 });
  // The product is read again: a new revision, and the form starts from the topic as it is now.
  await page.waitForFunction((before) => document.querySelector('[data-testid="manage-revision"]')?.textContent !== before,
    revision);
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="topic-settings-partitions"]')?.value === '3');
  assert.match(await section.innerText(), /Now 3; up to 48 allowed/);
  assert.match(await section.innerText(), /Now 30 days \(set on the topic\)/);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, 'manage-topic');

  // The product page shows the topic's new facts.
  await page.goto(`${baseUrl}/products/${id}`);
  const facts = page.getByTestId('topic-facts');
  await facts.waitFor({ timeout: 30_000 });
  assert.equal(await facts.getByTestId('topic-partitions').innerText(), '3');
  const retention = await facts.getByTestId('topic-retention').innerText();
  assert.match(retention, /30 days/);
  assert.match(retention, /retention\.ms = 2592000000/);
  assert.match(await facts.getByTestId('topic-history').innerText(), /last 30 days/);
  assert.deepEqual(errors, []);
  await context.close();
});
