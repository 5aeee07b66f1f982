// Embed: a page (a wiki, say) frames the product card and shows its badges; a page the organisation did not allow
// cannot frame it. Needs an API with public cards (scripts/test and scripts/run start it with MESHPORT_PUBLIC_CARDS)
// and the default frame-ancestors ('self'), so the embedding page is served from the API's own origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl, screenshot } from './browser.mjs';

// What oEmbed proposes for an active product (api/src/embed.rs, CARD_WIDTH and CARD_HEIGHT).
const WIDTH = 480;
const HEIGHT = 208;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The frames of the page: both themes at oEmbed's size, and a narrow one as in a wiki's side column.
const CARDS = [
  { name: 'light', query: '', width: WIDTH },
  { name: 'dark', query: '?theme=dark', width: WIDTH },
  { name: 'narrow', query: '', width: 300 },
];

function wikiPage() {
  const card = ({ name, query, width }) =>
    `<iframe data-card="${name}" src="${baseUrl}/embed/products/users${query}"
       width="${width}" height="${HEIGHT}" style="border:0" title="Users (Meshport data product)"></iframe>`;
  const badge = (kind) => `<img data-badge="${kind}" alt="${kind}" src="${baseUrl}/badge/products/users/${kind}.svg">`;
  return `<!doctype html><html><head><title>Team wiki</title></head>
    <body style="font-family:sans-serif;margin:16px;background:#f6f8fa">
      <h2>Our data products</h2>
      <div style="display:flex;gap:16px;flex-wrap:wrap">${CARDS.map(card).join('')}</div>
      <p>${badge('status')} ${badge('quality')} ${badge('sla')}</p>
    </body></html>`;
}

async function cardFrame(page, name) {
  const element = await page.waitForSelector(`iframe[data-card="${name}"]`);
  const frame = await element.contentFrame();
  await frame.waitForSelector('[data-testid="embed-card"]', { timeout: 15_000 });
  return frame;
}

test('a page of an allowed origin frames the product card, shows its badges, and the card fits its frame', async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 360 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The API's own origin: the default frame-ancestors ('self') allows it.
  await page.goto(baseUrl + '/api/health');
  await page.setContent(wikiPage(), { waitUntil: 'load' });

  for (const { name, query, width } of CARDS) {
    const frame = await cardFrame(page, name);
    assert.equal((await frame.locator('h1').innerText()).trim(), 'Users');
    assert.match(await frame.locator('.top').innerText(), /membership · accounts/);
    assert.equal(await frame.locator('[data-testid="quality"]').innerText(), 'authoritative');
    assert.equal(await frame.locator('[data-testid="sla"]').innerText(), 'tier-1');
    assert.match(await frame.locator('[data-testid="fields"]').innerText(), /^\d+$/, 'the demo schema is readable');
    assert.equal(await frame.evaluate(() => document.body.className), query ? 'dark' : 'light');
    const fits = await frame.evaluate(() =>
      document.querySelector('.foot').getBoundingClientRect().bottom <= window.innerHeight);
    assert.ok(fits, `the ${name} card's footer is inside its ${width}x${HEIGHT} frame`);
    assert.equal(await frame.evaluate(() => document.scripts.length), 0);
  }
  for (const kind of ['status', 'quality', 'sla']) {
    const width = await page.locator(`img[data-badge="${kind}"]`).evaluate(async (img) => {
      await img.decode();
      return img.naturalWidth;
    });
    assert.ok(width > 40, `the ${kind} badge renders (${width}px wide)`);
  }
  await screenshot(page, 'embed-card');
  assert.deepEqual(errors, []);
});

test('a page of an origin the organisation did not allow cannot frame the card', async () => {
  const page = await browser.newPage();
  const wiki = 'http://wiki.not-allowed.test/';
  await page.route(wiki, (route) => route.fulfill({ contentType: 'text/html', body: wikiPage() }));

  await page.goto(wiki, { waitUntil: 'load' });
  const element = await page.waitForSelector('iframe[data-card="light"]');
  const frame = await element.contentFrame();

  await page.waitForTimeout(500);
  assert.equal(await frame.locator('[data-testid="embed-card"]').count(), 0, `framed at ${frame.url()}`);
});
