/**
 * The token verifier's answer to a token it has verified before, a call at a time: what every API
 * request pays. Each call gets a header string of its own, as each request brings one.
 * Usage: node --import tsx bench/token-verify.ts (figures: docs/benchmarks.md, "API").
 */
import { alertEngine } from '../src/alerts/alert-engine.js';
import { issueLocalToken } from '../src/server/auth/issue-token.js';
import { createServerAuth } from '../src/server/server-auth.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';

const CALLS = 300_000;
const store = await SqliteStore.open({ file: ':memory:', alerts: alertEngine });
const auth = await createServerAuth(store);
const token = await issueLocalToken(auth.keys, {
  tenant: '11111111-aaaa-4bbb-8ccc-000000000001',
  user: 'bench@partner.example',
  expiresInSeconds: 3600,
});
const header = `Bearer ${token}`;
await auth.verifier.verify(header);
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await auth.verifier.verify(` ${header}`.slice(1));
  const micros = ((performance.now() - started) * 1000) / CALLS;
  console.log(`verify, a token verified before: ${micros.toFixed(2)} µs a call (${token.length}-character token)`);
}
await store.close();
