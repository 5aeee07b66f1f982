// The CloudFront Function that picks a bundle for each portal path in the cloud (infra/template.json) follows the
// same rule as the portal's Bundle::of and the local server: run the deployed function's code on each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const template = JSON.parse(readFileSync(new URL('../../infra/template.json', import.meta.url)));
const code = template.Resources.PortalRoutingFunction.Properties.FunctionCode;
const handler = new Function(`${code}; return handler;`)();
const route = (uri) => handler({ request: { uri } }).uri;

test('each portal path is answered with its bundle, and files are served as they are', () => {
  const cases = [
    ['/', '/index.html'],
    ['/products/users', '/index.html'],
    ['/products/orders.v2', '/index.html'],
    ['/activity', '/index.html'],
    ['/sign-in', '/studio/index.html'],
    ['/publish', '/studio/index.html'],
    ['/create', '/studio/index.html'],
    ['/manage', '/studio/manage/index.html'],
    ['/manage/orders.v2', '/studio/manage/index.html'],
    ['/access', '/studio/access/index.html'],
    ['/access/', '/studio/access/index.html'],
    ['/access/users', '/index.html'],
    ['/access/accounts', '/studio/access/index.html'],
    ['/access/accounts/', '/studio/access/index.html'],
    ['/access/accounts/users', '/index.html'],
    ['/access/channels', '/studio/access/index.html'],
    ['/access/tokens', '/studio/access/index.html'],
    ['/manage/a/b', '/index.html'],
    ['/no/such/page', '/index.html'],
    ['/style-80e637806bfd3256.css', '/style-80e637806bfd3256.css'],
    ['/studio/studio-30fbe756a20b88d4_bg.wasm', '/studio/studio-30fbe756a20b88d4_bg.wasm'],
    ['/studio/manage/manage-4b1c0de0a2f3e9d1.js', '/studio/manage/manage-4b1c0de0a2f3e9d1.js'],
    ['/studio/access/access-f62856f8d58fd552_bg.wasm', '/studio/access/access-f62856f8d58fd552_bg.wasm'],
  ];
  for (const [uri, expected] of cases) assert.equal(route(uri), expected, uri);
});
