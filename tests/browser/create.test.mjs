// Create: a member of team edge makes a new data product, its topic and its Avro schema in one go, watches it run
// and opens the result.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, overflowing, screenshot, signIn, uniqueId } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const schema = JSON.stringify({
  type: 'record', name: 'Checkout', namespace: 'com.acme.edge', doc: 'One checkout started in the web shop.',
  fields: [
    { name: 'session', type: 'string', doc: 'The browser session.' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
}, null, 2);

test('an edge member creates a product with a new topic and a pasted Avro schema, and sees it through', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signIn(context, { user: 'bob', teams: ['edge'] });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The create itself is quick on a local stack: hold its answer back a moment so the progress can be seen.
  await page.route('**/api/v1/products/create', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  const topic = uniqueId('edge.checkouts');

  await page.goto(`${baseUrl}/create`);
  await page.getByTestId('field-output_port.topic').fill(topic, { timeout: 30_000 });
  assert.equal(await page.getByTestId('field-id').inputValue(), topic, 'the id follows the topic');
  await page.getByTestId('field-topic.partitions').fill('2');
  await page.getByTestId('retention-full').check();

  await page.getByTestId('field-schema').fill(schema);
  // The API reads the schema as typing stops, and lists its fields; they become the personal-data choices.
  await page.getByTestId('schema-ok').waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId('schema-ok').innerText(), /3 fields/);
  await page.locator('[data-testid="personal-field"][data-path="email"]').check();

  await page.getByTestId('field-name').fill('Checkouts');
  await page.getByTestId('field-description.purpose').fill('Every checkout started in the web shop.');
  await page.getByTestId('field-owner.contact').fill('edge@acme.example');
  // With nothing left to fix locally, the API's dry run says whether it would go through.
  await page.getByTestId('api-check').getByText('ready to create').waitFor({ timeout: 10_000 });

  await page.getByTestId('create-submit').click();
  const progress = page.getByTestId('create-progress');
  await progress.waitFor();
  // First the dry run, then the one call that does the rest, shown running until it answers.
  await page.getByTestId('create-progress-step').getByText('Creating the topic, registering the schema').waitFor();
  assert.equal(await page.getByTestId('create-submit').isDisabled(), true, 'no second submit while it runs');

  const result = page.getByTestId('create-result');
  await result.waitFor({ timeout: 30_000 });
  assert.equal(await progress.isVisible(), false);
  assert.match(await result.innerText(), new RegExp(`Created Checkouts[\\s\\S]*${topic.replace(/\./g, '\\.')}-value`));
  await screenshot(page, 'create');
  assert.deepEqual(errors, []);

  await page.getByTestId('create-result-link').click();
  await page.waitForURL(`${baseUrl}/products/${topic}`);
  await page.getByTestId('product-title').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('product-title').innerText(), /Checkouts/);
});

test('a topic that exists already is refused by the API before anything is created', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  await signIn(context, { user: 'bob', teams: ['edge'] });
  const page = await context.newPage();

  await page.goto(`${baseUrl}/create`);
  await page.getByTestId('field-output_port.topic').fill('inventory.snapshots', { timeout: 30_000 });
  await page.getByTestId('field-id').fill(uniqueId('snapshots'));
  await page.getByTestId('field-schema').fill(schema);
  await page.getByTestId('field-name').fill('Snapshots');
  await page.getByTestId('field-description.purpose').fill('Stock levels, taken every hour.');
  await page.getByTestId('field-owner.contact').fill('edge@acme.example');

  // The dry run finds what only the server can see: the topic is on the cluster already.
  const error = page.getByTestId('error-output_port.topic');
  await error.getByText('exists already').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('field-output_port.topic').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await overflowing(page), [], 'nothing in the page reaches past a 360 px screen');
  await screenshot(page, 'create-topic-exists');
});
