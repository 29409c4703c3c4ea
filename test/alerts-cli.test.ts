import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { cli as runCli } from './helpers/cli-in-process.js';

// The receivers listen on 127.0.0.1 (run-suite sets this; a file run alone needs it too).
process.env.PARTNER_USAGE_WEBHOOK_ALLOW ??= '127.0.0.1';

after(stopPostgres);

const PARTNER = '11111111-aaaa-4bbb-8ccc-000000000001';
const A = 'c0000000-0000-4000-8000-00000000000a';
const B = 'c0000000-0000-4000-8000-00000000000b';

for (const backend of BACKENDS) {
  describe(`${backend}: the alert, webhook, budget and audit commands`, () => {
    const dir = tempDir();
    let db: string;
    const cli = (...args: string[]) => runCli([...args, '--db', db]);
    const json = async <T>(...args: string[]): Promise<T> => {
      const r = await cli(...args, '--json');
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as T;
    };

    before(async () => {
      db = (await testDatabase(backend, dir, 'alerts-cli')).location;
      const file = path.join(dir, 'usage.csv');
      writeDailyRated(
        file,
        [A, B].map((customer) => ({
          PartnerId: PARTNER,
          CustomerId: customer,
          SubscriptionId: 'a0000000-0000-4000-8000-000000000001',
          UsageDate: `${currentBillingPeriod()}-01T00:00:00Z`,
          MeterId: 'meter-1',
          BillingCurrency: 'EUR',
          ResourceURI: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s1',
          BillingPreTaxTotal: '60',
          PricingPreTaxTotal: '60',
        })),
      );
      assert.equal((await cli('import', file)).status, 0);
    });

    it('webhooks add prints the id and the whsec_ secret; a bad URL or event is a usage error', async () => {
      const added = await cli('webhooks', 'add', 'http://127.0.0.1:9/hook', '--events', 'budget.threshold_reached');
      assert.equal(added.status, 0, added.stderr);
      assert.match(added.stdout, /webhook endpoint ep_[0-9a-f]{32} added/);
      assert.match(added.stdout, /whsec_[A-Za-z0-9+/=]+/);
      assert.equal((await cli('webhooks', 'add', 'ftp://example.test/')).status, 2);
      const badEvent = await cli('webhooks', 'add', 'http://127.0.0.1:9/hook', '--events', 'budget.spent');
      assert.equal(badEvent.status, 2);
      assert.match(badEvent.stderr, /unknown event "budget\.spent"/);
      assert.equal((await json<unknown[]>('webhooks', 'list')).length, 1);
    });

    it('alerts thresholds: a bad list is refused, a customer override applies to that customer only', async () => {
      const bad = await cli('alerts', 'thresholds', '50,abc');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /whole percent/);
      assert.equal((await cli('alerts', 'thresholds', '50', '--customer', A)).status, 0);
      assert.match((await cli('alerts', 'thresholds')).stdout, new RegExp(`${A}\\s+50`));
    });

    it('budget import: a bad row names its line and column and sets nothing; a good file sets all', async () => {
      const bad = path.join(dir, 'bad.csv');
      fs.writeFileSync(bad, `customerId,budget\n${A},100\n${B},-5\n`);
      const refused = await cli('budget', 'import', bad);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /bad\.csv:3:38: budget "-5" is negative/);
      assert.deepEqual(await json('budget', 'list'), []);
      const good = path.join(dir, 'good.csv');
      fs.writeFileSync(good, `Budget,CustomerId\n100,${A}\n100,${B}\n`);
      assert.equal((await cli('budget', 'import', good)).status, 0);
      assert.deepEqual(
        (await json<{ customerTenantId: string; budget: string }[]>('budget', 'list')).map((b) => [
          b.customerTenantId,
          b.budget,
        ]),
        [
          [A, '100'],
          [B, '100'],
        ],
      );
    });

    it('alerts list shows what the budgets raised; the endpoint got only the types it asked for; audit says who', async () => {
      const alerts = await json<{ type: string; data: { customer: { id: string }; threshold?: number } }[]>(
        'alerts',
        'list',
      );
      const thresholds = alerts
        .filter((a) => a.type === 'budget.threshold_reached')
        .map((a) => [a.data.customer.id, a.data.threshold]);
      assert.deepEqual(thresholds, [[A, 50]], "60 % reaches A's 50, not the default 80 of B");
      const deliveries = await json<{ type: string; status: string }[]>('webhooks', 'deliveries');
      assert.deepEqual(
        deliveries.map((d) => d.type),
        ['budget.threshold_reached'],
      );
      const audit = await json<{ actor: string; action: string }[]>('audit');
      assert.ok(audit.every((a) => a.actor === 'cli'));
      assert.deepEqual([...new Set(audit.map((a) => a.action))].sort(), [
        'alerts.thresholds',
        'budget.set',
        'webhooks.add',
      ]);
      assert.match(
        (await cli('alerts', 'list')).stdout,
        /60,00\s€/,
        'money as the CLI shows it: EUR in its own culture',
      );
    });
  });
}
