// A real OpenID Connect provider (panva's oidc-provider) on 127.0.0.1, so browser tests can sign in to the portal
// with the authorization code flow and PKCE exactly as they would against an organisation's identity provider.
//
// Imported: `const idp = await startIdp({ port, redirectUri, clientId, people })` answers
// `{ issuer, jwksUrl, close() }`. Run as a script: `node idp.mjs --port N --redirect-uri URL [--redirect-uri URL2]
// [--client-id ID]` prints `idp ready <issuer>` once it listens, and runs until killed.
//
// The sign-in page is oidc-provider's own development form. Any password is accepted. A Playwright test fills it so:
//   await page.fill('input[name="login"]', 'alice');
//   await page.fill('input[name="password"]', 'anything');
//   await page.click('button[type="submit"]');   // the button reads "Sign-in"
// There is no consent page: the portal is the only client and is treated as first-party (see loadExistingGrant).
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Groups are team names of the demo mesh (api/src/demo.rs, api/src/default_policy.json) and the API's default admin
// group, so a person signed in here gets the same rights as the matching dev sign-in.
export const defaultPeople = {
  alice: { name: 'Alice Example', groups: ['edge'] },
  bob: { name: 'Bob Example', groups: ['trading'] },
  carol: { name: 'Carol Example', groups: ['accounts', 'insights'] },
  dana: { name: 'Dana Admin', groups: ['meshport-admins'] },
};

// oidc-provider announces on the console that it runs with its development conveniences (the in-memory store and
// the built-in sign-in form) and, on the machines' Node 20, that it wants Node 22 (it works on 20: the flow is checked
// there). Those are known and accepted here, so exactly those warnings are dropped while the provider loads and
// starts; any other warning still shows.
const expectedWarnings = /oidc-provider WARNING: (Unsupported runtime|a quick start development-only)/;

async function quietly(work) {
  const warn = console.warn;
  console.warn = (...args) => { if (!expectedWarnings.test(String(args[0]))) warn(...args); };
  try { return await work(); } finally { console.warn = warn; }
}

export async function startIdp({ port = 0, redirectUri, clientId = 'meshport-portal', people } = {}) {
  const redirectUris = [redirectUri].flat().filter(Boolean);
  if (redirectUris.length === 0) throw new Error('startIdp needs a redirectUri (or a list of them)');
  people ??= process.env.MESHPORT_IDP_PEOPLE ? JSON.parse(process.env.MESHPORT_IDP_PEOPLE) : defaultPeople;

  // The issuer names the port, so with port 0 the socket has to be bound before the provider can be made. Requests
  // arriving meanwhile (a script polling for readiness) wait for the provider instead of hanging unanswered.
  let ready;
  const handler = new Promise((resolve) => { ready = resolve; });
  const server = createServer((req, res) => { handler.then((handle) => handle(req, res)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const { default: Provider } = await quietly(() => import('oidc-provider'));
  // A fresh key each start keeps key files out of the repo; tokens from an earlier run must not verify anyway.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: `idp-${Date.now()}` };

  const provider = await quietly(() => new Provider(issuer, {
    clients: [{
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      // Signing out of the portal ends the session here too, and comes back to the portal's start page.
      post_logout_redirect_uris: [...new Set(redirectUris.map((uri) => `${new URL(uri).origin}/`))],
    }],
    jwks: { keys: [signingKey] },
    // No offline_access: the portal gets no refresh token and signs in again when the ID token expires.
    scopes: ['openid'],
    claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
    // The API reads the person from the ID token alone, so its claims must be in it and not only behind userinfo.
    conformIdTokenClaims: false,
    // Any login name signs in, so a test can make up a person; one not in `people` gets its login as name and no
    // groups, like someone in the organisation who is in no team.
    async findAccount(ctx, sub) {
      const person = people[sub] ?? { name: sub, groups: [] };
      return { accountId: sub, claims: async () => ({ sub, name: person.name, groups: person.groups }) };
    },
    // The portal is this provider's only client and belongs to the organisation, so it is granted what it can ask
    // for without a consent page; the journey stays portal, sign-in form, portal.
    async loadExistingGrant(ctx) {
      const { client, session, provider: { Grant } } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) return Grant.find(grantId);
      const grant = new Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile groups');
      await grant.save();
      return grant;
    },
    // The portal is a page on another origin that calls the token endpoint with fetch; it may do so from the
    // origins it is sent back to, and no other.
    clientBasedCORS(ctx, origin, client) {
      return client.redirectUris.some((uri) => new URL(uri).origin === origin);
    },
    // Set explicitly only because oidc-provider otherwise notes on the console each default it falls back to.
    ttl: { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, Interaction: 3600, Session: 86400, Grant: 86400 },
  }));

  ready(provider.callback());
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const runAsScript = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (runAsScript) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'redirect-uri': { type: 'string', multiple: true },
      'client-id': { type: 'string', default: 'meshport-portal' },
    },
  });
  const idp = await startIdp({
    port: Number(values.port), redirectUri: values['redirect-uri'], clientId: values['client-id'],
  });
  console.log(`idp ready ${idp.issuer}`);
}
