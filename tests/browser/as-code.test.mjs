// "Download as code" on the product page: one press saves the product's ODPS and ODCS files, as the API exports
// them, and the page names the CLI's equivalent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, baseUrl, createProduct, uniqueId, personPage, devToken, api } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('download as code saves the product\'s ODPS and ODCS files as the API exports them', async () => {
  const id = uniqueId('ascode');
  await createProduct({ id, domain: 'analytics', team: 'edge' });
  const expected = await api(`/api/v1/products/${id}/export`, { token: await devToken('bob', ['edge']) });
  const reader = await personPage(browser, { user: 'carol', teams: ['insights'] });
  await reader.page.goto(`${baseUrl}/products/${id}`);
  const button = reader.page.getByRole('button', { name: 'Download as code' });
  await button.waitFor({ timeout: 30_000 });
  assert.ok((await reader.page.getByTestId('code-download').innerText()).includes(`meshport product export ${id}`),
    'the CLI equivalent');

  // One press, two files.
  const downloads = new Promise((resolve, reject) => {
    const got = [];
    reader.page.on('download', (download) => { got.push(download); if (got.length === 2) resolve(got); });
    setTimeout(() => reject(new Error(`${got.length} of the 2 files downloaded`)), 30_000).unref();
  });
  await button.focus();
  await reader.page.keyboard.press('Enter');

  const saved = Object.fromEntries(await Promise.all((await downloads).map(async (download) => [
    download.suggestedFilename(), await readFile(await download.path(), 'utf8'),
  ])));
  assert.deepEqual(saved, { [`${id}.odps.yaml`]: expected.odps, [`${id}.odcs.yaml`]: expected.odcs });
  assert.match(saved[`${id}.odps.yaml`], /apiVersion: v1\.0\.0/);
  assert.equal(await reader.page.getByTestId('code-download-problem').innerText(), '');

  assert.deepEqual(reader.errors, []);
  await reader.context.close();
});
