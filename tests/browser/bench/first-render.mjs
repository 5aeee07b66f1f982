// Benchmark: how long Explore takes to show its first page of results, with N products in the catalog (default
// 1,000), in headless Chromium on localhost. Prints figures; asserts nothing (run by scripts/bench-portal).
//
// Each run opens a fresh browser context (empty cache, like a first visit) signed in as a demo person, navigates to
// `/`, and records `performance.now()` (milliseconds since navigation start) when the first product row is in the
// document, from a MutationObserver installed before the page's own scripts run.
import { launch, baseUrl, signIn, createProduct } from '../browser.mjs';

const products = Number(process.env.MESHPORT_BENCH_PRODUCTS ?? 1000);
const runs = Number(process.env.MESHPORT_BENCH_RUNS ?? 15);

async function count() {
  const admin = await (await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bench', admin: true }),
  })).json();
  const page = await (await fetch(`${baseUrl}/api/v1/products?limit=1`, {
    headers: { authorization: `Bearer ${admin.token}` },
  })).json();
  return page.total;
}

async function seed() {
  const have = await count();
  const started = performance.now();
  const ids = Array.from({ length: Math.max(0, products - have) }, (_, i) => `bench.p${String(i).padStart(5, '0')}`);
  const parallel = 8;
  for (let i = 0; i < ids.length; i += parallel) {
    await Promise.all(ids.slice(i, i + parallel).map((id) => createProduct({
      id,
      overrides: {
        name: `Bench product ${id}`,
        tags: ['bench', `group-${id.length % 7}`],
        description: { purpose: `Synthetic events of ${id}, made to measure how fast Explore renders` },
      },
    })));
  }
  console.log(`catalog: ${await count()} products (created ${ids.length} in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

await seed();
const browser = await launch();
const figures = [];
for (let run = 0; run < runs + 1; run++) {
  const context = await browser.newContext();
  await signIn(context, { user: 'bench-reader', teams: ['edge'] });
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('[data-testid="product-row"]')) {
        window.__firstRow = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.waitForFunction(() => window.__firstRow !== undefined, null, { timeout: 30_000 });
  const ms = await page.evaluate(() => window.__firstRow);
  // The first run warms the server and the OS caches; it is shown but left out of the figures.
  if (run === 0) console.log(`warm-up run: ${ms.toFixed(0)} ms`); else figures.push(ms);
  await context.close();
}
await browser.close();
figures.sort((a, b) => a - b);
const mean = figures.reduce((a, b) => a + b, 0) / figures.length;
console.log(`Explore first page with ${products} products, ${figures.length} cold loads: ` +
  `median ${percentile(figures, 50).toFixed(0)} ms, p95 ${percentile(figures, 95).toFixed(0)} ms, ` +
  `mean ${mean.toFixed(0)} ms, max ${figures.at(-1).toFixed(0)} ms (target 1000 ms)`);
