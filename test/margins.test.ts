import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import Papa from 'papaparse';
import { BACKENDS, testDatabase } from './helpers/backends.js';
import { cli } from './helpers/cli-in-process.js';
import { PriceBasesWarmer } from '../src/pricing/price-bases-warmer.js';
import { keptMargins } from '../src/pricing/margins.js';
import { importFile } from '../src/ingest/importer.js';
import { generate, REPO, tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer } from './helpers/test-server.js';
import { PartnerCenter } from '../src/sdk/partner-center.js';
import { BadRequestError, NotFoundError } from '../src/sdk/errors.js';

// Price rules and margins (issue #29) against a recomputation that shares no code with the product:
// the generated --rich file read with papaparse, the rules applied here by hand, decimals as BigInts.

after(stopPostgres);

const PERIOD = '2026-10';
const SCALE = 40n;
/** Decimal text as an integer of 10^-40 units: exact for every figure here. */
function units(text: string): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  assert.ok(m, `not a decimal: ${text}`);
  const [, sign, whole = '', frac = ''] = m;
  const value = BigInt((whole || '0') + frac.padEnd(Number(SCALE), '0').slice(0, Number(SCALE)));
  assert.ok(frac.length <= Number(SCALE));
  return sign === '-' ? -value : value;
}
const ONE = 10n ** SCALE;
const mul = (a: bigint, b: bigint) => (a * b) / ONE; // exact while the product has at most 40 decimals

interface Line {
  customer: string;
  reseller: string;
  category: string;
  publisher: string;
  cost: bigint;
  retail: bigint;
  covered: boolean;
  pec: boolean;
  country: string;
}

describe('price rules and margins', () => {
  const dir = tempDir();
  let lines: Line[];
  let resellers: string[];
  let file: string;

  before(() => {
    ({ file } = generate(dir, 'rich.csv', {
      rows: 3000,
      customers: 12,
      period: PERIOD,
      seed: 7,
      rich: true,
      resellers: 3,
    }));
    const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), {
      header: true,
      skipEmptyLines: true,
    }).data;
    lines = rows.map((r) => ({
      customer: r.CustomerId!.toLowerCase(),
      reseller: r.Tier2MpnId!,
      category: r.MeterCategory!,
      publisher: r.PublisherName!,
      cost: units(r.BillingPreTaxTotal!),
      retail: mul(mul(units(r.UnitPrice!), units(r.Quantity!)), units(r.PCToBCExchangeRate!)),
      covered: r.EffectiveUnitPrice !== '' && units(r.EffectiveUnitPrice!) === 0n,
      pec: Number(r.PartnerEarnedCreditPercentage) > 0,
      country: r.CustomerCountry!,
    }));
    resellers = [...new Set(lines.map((l) => l.reseller).filter(Boolean))].sort();
  });

  for (const backend of BACKENDS) {
    it(`${backend}: every customer's, reseller's and category's cost, price, margin and PEC to the last digit`, async () => {
      const db = (await testDatabase(backend, dir, `margins-${backend}`)).location;
      const run = async (...args: string[]) => {
        const r = await cli([...args, '--db', db]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      await run('import', file);
      const firstCustomer = lines[0]!.customer;
      const category = lines.find((l) => l.customer === firstCustomer)!.category;
      // The partner's default, a reseller's retail rule, one customer's narrowed rule, and a rule
      // that takes effect only after this period.
      await run('prices', 'set', '--cost', '--adjust', '10', '--from', '2026-01');
      await run('prices', 'set', '--retail', '--adjust', '5', '--reseller', resellers[0]!, '--from', '2026-10');
      await run(
        'prices',
        'set',
        '--cost',
        '--adjust',
        '-7.5',
        '--customer',
        firstCustomer,
        '--category',
        category,
        '--from',
        '2026-06',
      );
      await run('prices', 'set', '--cost', '--adjust', '50', '--from', '2026-11');
      const rules = JSON.parse(await run('prices', 'list', '--json')) as { id: string; adjust: string }[];
      assert.equal(rules.length, 4);

      const priceOf = (l: Line): bigint => {
        if (l.covered) return 0n;
        const [base, adjust] =
          l.customer === firstCustomer && l.category.toLowerCase() === category.toLowerCase()
            ? [l.cost, -75n]
            : l.reseller === resellers[0]
              ? [l.retail, 50n]
              : [l.cost, 100n];
        return base + (base * adjust) / 1000n;
      };
      const expected = (key: (l: Line) => string) => {
        const sums = new Map<string, { cost: bigint; price: bigint; pec: bigint; lines: number }>();
        for (const l of lines) {
          const s = sums.get(key(l)) ?? { cost: 0n, price: 0n, pec: 0n, lines: 0 };
          s.cost += l.cost;
          s.price += priceOf(l);
          if (l.pec && !l.covered) s.pec += l.retail - l.cost;
          s.lines++;
          sums.set(key(l), s);
        }
        return sums;
      };
      for (const [by, key] of [
        ['customer', (l: Line) => l.customer],
        ['reseller', (l: Line) => l.reseller],
        ['meter-category', (l: Line) => l.category],
        ['publisher', (l: Line) => l.publisher],
      ] as const) {
        const got = JSON.parse(await run('margins', '--by', by, '--period', PERIOD, '--json')) as {
          group: string;
          lines: number;
          cost: string;
          price: string;
          margin: string;
          marginPercent: string | null;
          pecEarned: string;
        }[];
        const want = expected(key);
        // One currency a customer: a group spans currencies only by reseller, category or publisher.
        const merged = new Map<string, { cost: bigint; price: bigint; pec: bigint; lines: number; margin: bigint }>();
        for (const g of got) {
          const m = merged.get(g.group) ?? { cost: 0n, price: 0n, pec: 0n, lines: 0, margin: 0n };
          m.cost += units(g.cost);
          m.price += units(g.price);
          m.margin += units(g.margin);
          m.pec += units(g.pecEarned);
          m.lines += g.lines;
          merged.set(g.group, m);
          assert.equal(units(g.margin), units(g.price) - units(g.cost), `${by} ${g.group}: margin = price − cost`);
        }
        assert.deepEqual([...merged.keys()].sort(), [...want.keys()].sort(), by);
        for (const [group, w] of want) {
          const g = merged.get(group)!;
          assert.equal(g.lines, w.lines, `${by} ${group} lines`);
          assert.equal(g.cost, w.cost, `${by} ${group} cost`);
          assert.equal(g.price, w.price, `${by} ${group} price`);
          assert.equal(g.pec, w.pec, `${by} ${group} PEC`);
        }
      }

      // The customer's own FOCUS file: its costs at its price, no column with the partner's cost or credit.
      for (const ext of ['csv', 'parquet']) {
        const out = `${dir}/customer-${backend}.${ext}`;
        await run(
          'export',
          '--format',
          'focus',
          '--customer',
          firstCustomer,
          '--prices',
          '--period',
          PERIOD,
          '--out',
          out,
        );
        const duck = await (await DuckDBInstance.create(':memory:')).connect();
        const read = ext === 'csv' ? `read_csv('${out}', all_varchar = true)` : `read_parquet('${out}')`;
        const columns = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${read}`))
          .getRowObjects()
          .map((r) => String(r.column_name));
        for (const hidden of [
          'x_BilledCostInUsd',
          'x_EffectiveCostInUsd',
          'x_PartnerCreditApplied',
          'x_PartnerCreditRate',
          'PricingCurrencyEffectiveCost',
          'ContractedUnitPrice',
          'PricingCurrencyContractedUnitPrice',
        ])
          assert.ok(!columns.includes(hidden), `${ext}: ${hidden} is the partner's`);
        for (const kept of [
          'BilledCost',
          'EffectiveCost',
          'ContractedCost',
          'ListCost',
          'InvoiceIssuerName',
          'x_CustomerId',
        ])
          assert.ok(columns.includes(kept), `${ext}: ${kept}`);
        const values = (
          await duck.runAndReadAll(
            `SELECT CAST(BilledCost AS VARCHAR) AS b, CAST(EffectiveCost AS VARCHAR) AS e, CAST(ContractedCost AS VARCHAR) AS c FROM ${read}`,
          )
        ).getRowObjects();
        const mine = lines.filter((l) => l.customer === firstCustomer);
        assert.equal(values.length, mine.length);
        const billed = values.reduce((n, r) => n + units(String(r.b)), 0n);
        assert.equal(
          billed,
          mine.reduce((n, l) => n + priceOf(l), 0n),
          `${ext}: BilledCost is the price, every digit`,
        );
        assert.ok(values.every((r) => r.b === r.e && r.b === r.c));
        duck.closeSync();
      }
      // The customer's statement: its spend at its price, as CSV (exact beside shown) and as a PDF read back.
      const mine = lines.filter((l) => l.customer === firstCustomer);
      const exactTotal = mine.reduce((n, l) => n + priceOf(l), 0n);
      await run('statement', '--customer', firstCustomer, '--period', PERIOD, '--out', `${dir}/st-${backend}.csv`);
      const csv = Papa.parse<Record<string, string>>(fs.readFileSync(`${dir}/st-${backend}.csv`, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      }).data;
      const totalRow = csv.find((r) => r.section === 'total')!;
      assert.equal(units(totalRow.exact!), exactTotal, 'the exact total is the sum of the lines at their price');
      const currency = totalRow.label!.split(' ').at(-1)!;
      const decimals = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits!;
      const roundTo = (v: bigint) => {
        const unit = 10n ** (SCALE - BigInt(decimals));
        const q = v / unit;
        const r = v % unit;
        return (q + (2n * (r < 0n ? -r : r) >= unit ? (v < 0n ? -1n : 1n) : 0n)) * unit;
      };
      assert.equal(units(totalRow.amount!), roundTo(exactTotal), 'shown rounded half away from zero to the minor unit');
      const subs = csv.filter((r) => r.section === 'subscription');
      const difference = csv.find((r) => r.section === 'roundingDifference')!;
      assert.equal(
        units(difference.amount!),
        units(totalRow.amount!) - subs.reduce((n, r) => n + units(r.amount!), 0n),
      );
      for (const r of csv.filter((r) => r.section !== 'roundingDifference' && r.section !== 'total'))
        assert.equal(units(r.amount!), roundTo(units(r.exact!)), `${r.section} ${r.key}`);
      // No figure of the partner's side in it.
      assert.doesNotMatch(fs.readFileSync(`${dir}/st-${backend}.csv`, 'utf8'), /cost|margin|credit/i);

      execFileSync(path.join(REPO, 'scripts/ensure-poppler.sh'), { stdio: 'inherit' });
      const pdf = `${dir}/st-${backend}.pdf`;
      await run('statement', '--customer', firstCustomer, '--period', PERIOD, '--out', pdf);
      const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
      // The first customer is in Japan: no Japanese text (nor glyphs) here, so English words with Japan's conventions.
      assert.equal(lines[0]!.country, 'JP');
      const shown = (locale: string, amount: string) =>
        new Intl.NumberFormat(locale, {
          style: 'currency',
          currency,
          minimumFractionDigits: decimals,
          maximumFractionDigits: decimals,
        }).format(amount as `${number}`);
      assert.match(text, /Contoso Cloud Partner, Ltd\./, 'the partner issues it');
      assert.match(text, /Statement of Azure usage — October 2026/);
      assert.ok(text.includes(`Tenant: ${firstCustomer}`));
      const shownTotal = shown('en-JP', totalRow.amount!);
      assert.ok(text.includes(`Total: ${shownTotal}`), `${shownTotal} in ${text.slice(0, 600)}`);
      for (const r of subs) assert.ok(text.includes(r.label!), r.label);
      assert.match(text, /By meter category[\s\S]*By day/);
      assert.match(text, /rounded\s+to\s+the\s+\w{3}\s+minor\s+unit\s+\(\d\s+decimals\),\s+half\s+away\s+from\s+zero/);
      // A customer in Portugal reads its statement in Portuguese, amounts as Portugal writes them.
      const portuguese = lines.find((l) => l.country === 'PT')!.customer;
      await run('statement', '--customer', portuguese, '--period', PERIOD, '--out', `${dir}/pt-${backend}.csv`);
      await run('statement', '--customer', portuguese, '--period', PERIOD, '--out', `${dir}/pt-${backend}.pdf`);
      const ptTotal = Papa.parse<Record<string, string>>(fs.readFileSync(`${dir}/pt-${backend}.csv`, 'utf8'), {
        header: true,
      }).data.find((r) => r.section === 'total')!;
      const ptText = execFileSync('pdftotext', ['-layout', `${dir}/pt-${backend}.pdf`, '-'], { encoding: 'utf8' });
      assert.match(ptText, /Extrato de consumo do Azure — outubro de 2026/);
      assert.match(ptText, /Cliente: .*\n.*Locatário: /);
      assert.match(ptText, /Por assinatura[\s\S]*Por categoria de medidor[\s\S]*Por dia/);
      const ptShown = new Intl.NumberFormat('pt-PT', { style: 'currency', currency: 'EUR' }).format(
        ptTotal.amount! as `${number}`,
      );
      // pdftotext writes the culture's narrow no-break space as a plain one.
      assert.ok(
        ptText.replace(/\s/g, ' ').includes(`Total: ${ptShown.replace(/\s/g, ' ')}`),
        `${ptShown} in ${ptText.slice(0, 600)}`,
      );
      assert.match(ptText, /arredondado\s+à\s+unidade\s+menor\s+de\s+EUR\s+\(2\s+casas\s+decimais\)/);
      assert.doesNotMatch(text, /cost|margin|credit/i);
      // As a picture: the page renders, with the day bars drawn (dark pixels where the chart is).
      execFileSync('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', pdf, `${dir}/st-${backend}`]);
      const page = fs.readFileSync(
        fs
          .readdirSync(dir)
          .filter((f) => f.startsWith(`st-${backend}-`))
          .map((f) => `${dir}/${f}`)[0]!,
      );
      const [, w, h] = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(page.subarray(0, 32).toString('latin1'))!.map(Number) as [
        number,
        number,
        number,
      ];
      const pixels = page.subarray(page.length - w * h);
      const dark = pixels.filter((p) => p < 160).length;
      assert.ok(
        dark > w * h * 0.01 && dark < w * h * 0.3,
        `a page with text and a chart (${dark} of ${w * h} pixels dark)`,
      );
      const noCustomer = await cli(['export', '--format', 'focus', '--prices', '--out', `${dir}/x.csv`, '--db', db]);
      assert.equal(noCustomer.status, 2);
      assert.match(noCustomer.stderr, /--prices writes one customer's FOCUS: give --format focus and --customer/);

      // A rule removed: the lines it priced fall to the next rule; the future rule still prices nothing.
      const resellerRule = rules.find((r) => r.adjust === '5')!;
      await run('prices', 'remove', resellerRule.id);
      const after = JSON.parse(await run('margins', '--by', 'reseller', '--period', PERIOD, '--json')) as {
        group: string;
        price: string;
      }[];
      const theirs = after.filter((g) => g.group === resellers[0]).reduce((n, g) => n + units(g.price), 0n);
      const wantTheirs = lines
        .filter((l) => l.reseller === resellers[0])
        .reduce(
          (n, l) =>
            n +
            (l.covered
              ? 0n
              : l.cost +
                (l.customer === firstCustomer && l.category.toLowerCase() === category.toLowerCase()
                  ? (l.cost * -75n) / 1000n
                  : l.cost / 10n)),
          0n,
        );
      assert.equal(theirs, wantTheirs);
      // Every change is in the audit log, by the CLI.
      const audit = JSON.parse(await run('audit', '--json')) as { actor: string; action: string }[];
      assert.equal(audit.filter((a) => a.action === 'prices.set' && a.actor === 'cli').length, 4);
      assert.equal(audit.filter((a) => a.action === 'prices.remove').length, 1);
    });
  }

  for (const backend of BACKENDS) {
    it(`${backend}: the API and the SDK set rules and answer the same margins as the CLI`, async () => {
      const db = await testDatabase(backend, dir, `margins-api-${backend}`);
      assert.equal((await cli(['import', file, '--db', db.location])).status, 0);
      const server = await startTestServer(db);
      try {
        const partner = JSON.parse(fs.readFileSync(`${file}.expect.json`, 'utf8')).partnerId as string | undefined;
        const tenant = partner ?? (await server.store.partners())[0]!.tenantId;
        const token = await server.token({ tenant, user: 'finance@partner.example' });
        const pc = new PartnerCenter({ baseUrl: server.baseUrl, credential: token, maxRetries: 0 });
        const rule = await pc.partnerUsage.createPriceRule({ basis: 'retail', adjust: '12.5', from: '2026-01' });
        assert.match(rule.id, /^pr_[0-9a-f]{32}$/);
        assert.deepEqual(
          { ...rule, id: '' },
          {
            id: '',
            basis: 'retail',
            adjust: '12.5',
            customer: null,
            reseller: null,
            category: null,
            publisher: null,
            from: '2026-01',
          },
        );
        assert.equal((await pc.partnerUsage.priceRules()).totalCount, 1);
        // The customers view carries price and margin once the period's price bases are kept.
        const unpriced = await pc.partnerUsage.customerView({ period: PERIOD, size: 100 });
        assert.ok(unpriced.items.length > 0 && unpriced.items.every((r) => r.price === null && r.margin === null));
        const viaApi = await pc.partnerUsage.margins({ period: PERIOD, groupBy: 'customer' });
        const priced = await pc.partnerUsage.customerView({ period: PERIOD, size: 100 });
        for (const r of priced.items) {
          const m = viaApi.items.find((i) => i.group === r.id);
          assert.equal(r.price?.text, m?.price.text ?? '0', r.id);
          assert.equal(r.margin?.text, m?.margin.text ?? '0', r.id);
        }
        const viaCli = JSON.parse(
          (await cli(['margins', '--period', PERIOD, '--json', '--db', db.location])).stdout,
        ) as { group: string; price: string; pecEarned: string }[];
        assert.equal(viaApi.totalCount, viaCli.length);
        for (const [i, row] of viaApi.items.entries()) {
          assert.equal(row.group, viaCli[i]!.group);
          assert.equal(row.price.text, viaCli[i]!.price, 'every digit, as JSON numbers');
          assert.equal(row.pecEarned.text, viaCli[i]!.pecEarned);
        }
        // Retail + 12.5 % on every line but the covered ones.
        const total = viaApi.items.reduce((n, r) => n + units(r.price.text), 0n);
        const want = lines.reduce((n, l) => n + (l.covered ? 0n : l.retail + (l.retail * 125n) / 1000n), 0n);
        assert.equal(total, want);

        // One customer at cost − 20 %: the only negative margin, first by margin, found by the filter.
        const loser = lines[0]!.customer;
        const discount = await pc.partnerUsage.createPriceRule({
          basis: 'cost',
          adjust: '-20',
          customer: loser,
          from: '2026-10',
        });
        const negative = await pc.partnerUsage.customerView({ period: PERIOD, filter: ['negative-margin'] });
        assert.deepEqual(
          negative.items.map((r) => r.id),
          [loser],
        );
        assert.equal(negative.counts.negativeMargin, 1);
        const loserCost = lines.filter((l) => l.customer === loser).reduce((n, l) => n + l.cost, 0n);
        const loserPrice = lines
          .filter((l) => l.customer === loser && !l.covered)
          .reduce((n, l) => n + l.cost - (l.cost * 2n) / 10n, 0n);
        assert.equal(units(negative.items[0]!.margin!.text), loserPrice - loserCost);
        assert.equal(
          negative.items[0]!.marginPercent!.text,
          (Number(((loserPrice - loserCost) * 1_000_000n) / loserPrice) / 10_000).toFixed(2).replace(/\.?0+$/, ''),
        );
        const byMargin = await pc.partnerUsage.customerView({
          period: PERIOD,
          sort: 'margin',
          order: 'asc',
          size: 100,
        });
        assert.equal(byMargin.items[0]!.id, loser);
        const byPrice = byMargin.items.map((r) => units(r.price!.text));
        const byPriceView = await pc.partnerUsage.customerView({
          period: PERIOD,
          sort: 'price',
          order: 'desc',
          size: 100,
        });
        assert.deepEqual(
          byPriceView.items.map((r) => units(r.price!.text)),
          [...byPrice].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)),
        );
        // The margins route sorted and paged: pages are slices of the whole sorted list.
        const all = await pc.partnerUsage.margins({ period: PERIOD, sort: 'margin', order: 'asc' });
        assert.equal(all.items[0]!.group, loser);
        const margins = all.items.map((r) => units(r.margin.text));
        assert.deepEqual(
          margins,
          [...margins].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
        const page = await pc.partnerUsage.margins({
          period: PERIOD,
          sort: 'margin',
          order: 'asc',
          offset: 2,
          size: 3,
        });
        assert.equal(page.totalCount, all.totalCount);
        assert.deepEqual(
          page.items.map((r) => r.group),
          all.items.slice(2, 5).map((r) => r.group),
        );
        // A page past the end is empty and still counts every row; a period without lines has none.
        const past = await pc.partnerUsage.margins({ period: PERIOD, offset: all.totalCount, size: 10 });
        assert.deepEqual([past.totalCount, past.items], [all.totalCount, []]);
        assert.deepEqual(await pc.partnerUsage.margins({ period: '2020-01' }), { totalCount: 0, items: [] });
        // One currency's rows (amounts compared by their numbers only within a currency).
        const currencies = [...new Set(all.items.map((r) => r.currency))];
        assert.ok(currencies.length > 1);
        const one = await pc.partnerUsage.margins({
          period: PERIOD,
          currency: currencies[0]!.toLowerCase(),
          sort: 'margin',
          order: 'asc',
        });
        assert.deepEqual(
          one.items.map((r) => r.group),
          all.items.filter((r) => r.currency === currencies[0]).map((r) => r.group),
        );
        assert.equal(one.totalCount, one.items.length);
        // One customer's subscriptions and meter categories (the customer page): they sum to its row.
        for (const groupBy of ['subscription', 'meterCategory'] as const) {
          const mine = await pc.partnerUsage.margins({ period: PERIOD, groupBy, customer: loser.toUpperCase() });
          assert.ok(mine.totalCount > 0);
          assert.equal(
            mine.items.reduce((n, r) => n + units(r.price.text), 0n),
            loserPrice,
            groupBy,
          );
          assert.equal(
            mine.items.reduce((n, r) => n + units(r.cost.text), 0n),
            loserCost,
          );
        }
        await assert.rejects(
          pc.partnerUsage.margins({ period: PERIOD, customer: 'c0000000-0000-4000-8000-00000000dead' }),
          (e: unknown) => e instanceof NotFoundError,
        );
        await assert.rejects(
          pc.partnerUsage.margins({ period: PERIOD, sort: 'cheapest' as 'price' }),
          (e: unknown) => e instanceof BadRequestError,
        );
        await pc.partnerUsage.deletePriceRule(discount.id);

        await assert.rejects(pc.partnerUsage.createPriceRule({ basis: 'cost', adjust: '2000' }), (e: unknown) => {
          assert.ok(e instanceof BadRequestError);
          assert.match(e.message, /from -100 to 1000 percent/);
          return true;
        });
        await assert.rejects(
          pc.partnerUsage.createPriceRule({ basis: 'cost', customer: 'c0000000-0000-4000-8000-00000000dead' }),
          /no customer c0000000-0000-4000-8000-00000000dead for this partner/,
        );
        await assert.rejects(
          pc.partnerUsage.deletePriceRule(`pr_${'0'.repeat(32)}`),
          (e: unknown) => e instanceof NotFoundError,
        );
        // A statement over HTTP: the CLI's, to the byte (CSV); a PDF; 404 for a customer the partner does not have.
        const statement = (customer: string, form: string) =>
          fetch(`${server.baseUrl}/v1/partnerusage/customers/${customer}/statement.${form}?period=${PERIOD}`, {
            headers: { authorization: `Bearer ${token}` },
          });
        const viaHttp = await statement(lines[0]!.customer, 'csv');
        assert.equal(viaHttp.status, 200);
        assert.match(viaHttp.headers.get('content-disposition') ?? '', /statement-.*-2026-10\.csv/);
        const cliCsv = `${dir}/st-api-${backend}.csv`;
        await cli([
          'statement',
          '--customer',
          lines[0]!.customer,
          '--period',
          PERIOD,
          '--out',
          cliCsv,
          '--db',
          db.location,
        ]);
        assert.equal(await viaHttp.text(), fs.readFileSync(cliCsv, 'utf8'));
        const pdf = await statement(lines[0]!.customer, 'PDF');
        assert.equal(pdf.headers.get('content-type'), 'application/pdf');
        assert.equal(
          Buffer.from(await pdf.arrayBuffer())
            .subarray(0, 5)
            .toString('latin1'),
          '%PDF-',
        );
        assert.equal((await statement('c0000000-0000-4000-8000-00000000dead', 'pdf')).status, 404);
        assert.equal((await statement(lines[0]!.customer, 'docx')).status, 400);
        assert.equal((await pc.partnerUsage.deletePriceRule(rule.id)).id, rule.id);
        assert.equal((await pc.partnerUsage.priceRules()).totalCount, 0);
        const audit = await server.store.alerts.audit(tenant);
        assert.deepEqual(
          audit.filter((a) => a.action.startsWith('prices.')).map((a) => [a.action, a.actor]),
          [
            ['prices.remove', 'finance@partner.example'],
            ['prices.remove', 'finance@partner.example'],
            ['prices.set', 'finance@partner.example'],
            ['prices.set', 'finance@partner.example'],
          ],
        );
        // Another partner sees none of it.
        const other = new PartnerCenter({
          baseUrl: server.baseUrl,
          credential: await server.token({ tenant: '33333333-3333-4333-8333-333333333333', user: 'x@other.example' }),
          maxRetries: 0,
        });
        assert.equal((await other.partnerUsage.margins({ period: PERIOD })).totalCount, 0);
        assert.equal((await other.partnerUsage.priceRules()).totalCount, 0);
        // Nor the first partner's customer's statement: as if it did not exist.
        const theirs = await fetch(
          `${server.baseUrl}/v1/partnerusage/customers/${lines[0]!.customer}/statement.pdf?period=${PERIOD}`,
          {
            headers: {
              authorization: `Bearer ${await server.token({ tenant: '33333333-3333-4333-8333-333333333333', user: 'x@other.example' })}`,
            },
          },
        );
        assert.equal(theirs.status, 404);
      } finally {
        await server.close();
      }
    });
  }

  it("keeps the open periods' price bases current in the background (serve)", async () => {
    const db = await testDatabase('sqlite', dir, 'margins-warm');
    assert.equal((await cli(['import', file, '--db', db.location])).status, 0);
    const store = await db.open();
    try {
      const partner = (await store.partners())[0]!.tenantId;
      const warmer = new PriceBasesWarmer(store);
      const now = new Date('2026-11-15T00:00:00Z'); // the open periods: 2026-11 and 2026-10
      const tag = async () => (await store.lines.snapshotTag(partner, PERIOD)) ?? '';
      assert.equal(await store.prices.bases(partner, PERIOD, await tag()), undefined, 'none kept yet');
      assert.equal(await warmer.runOnce(now), 2);
      const kept = await store.prices.bases(partner, PERIOD, await tag());
      assert.ok(kept && kept.length > 0);
      assert.equal(
        kept.reduce((n, b) => n + b.lines, 0),
        lines.length,
      );
      assert.equal(await warmer.runOnce(now), 0, 'nothing changed: nothing computed');
      assert.equal(await warmer.runOnce(now), 0);
      // The customers' margins are kept too, for these lines and rules: a budget change leaves them,
      // a rule change computes them again.
      const byCustomer = await keptMargins(store, partner, PERIOD, 'customer');
      assert.ok(byCustomer && byCustomer.length > 0);
      await store.setBudget(partner, byCustomer[0]!.group, '100');
      assert.equal(
        await keptMargins(store, partner, PERIOD, 'customer'),
        byCustomer,
        'the same rows, not computed again',
      );
      const none = { customer: null, reseller: null, category: null, publisher: null, from: '2026-01' };
      const rule = await store.prices.set(partner, { ...none, basis: 'cost', adjust: '50' }, 'test');
      assert.equal(await warmer.runOnce(now), 0, 'a rule change computes no bases');
      const repriced = await keptMargins(store, partner, PERIOD, 'customer');
      assert.notEqual(repriced, byCustomer);
      assert.equal(
        repriced!.reduce((n, r) => n + units(r.price), 0n),
        lines.reduce((n, l) => n + (l.covered ? 0n : l.cost + l.cost / 2n), 0n),
        'every line at cost + 50 %',
      );
      await store.prices.remove(partner, rule.id, 'test');
      const partnerId = (JSON.parse(fs.readFileSync(`${file}.expect.json`, 'utf8')) as { partnerId: string }).partnerId;
      const more = generate(dir, 'warm-more.csv', {
        rows: 100,
        customers: 2,
        period: PERIOD,
        seed: 9,
        partner: partnerId,
      });
      await importFile(store, more.file, { now: () => now });
      assert.equal(
        await store.prices.bases(partner, PERIOD, await tag()),
        undefined,
        'new lines: the kept bases are stale',
      );
      assert.equal(await warmer.runOnce(now), 1, 'only the period with new lines');
      const again = await store.prices.bases(partner, PERIOD, await tag());
      assert.equal(
        again!.reduce((n, b) => n + b.lines, 0),
        lines.length + 100,
      );
    } finally {
      await store.close();
    }
  });

  it('refuses a bad rule clearly and changes nothing', async () => {
    const db = (await testDatabase('sqlite', dir, 'margins-bad')).location;
    assert.equal((await cli(['import', file, '--db', db])).status, 0);
    const cases: [string[], RegExp][] = [
      [['--adjust', '5'], /give one of --cost and --retail/],
      [['--cost', '--retail'], /give one of --cost and --retail/],
      [['--cost', '--adjust', 'lots'], /a percent such as 12\.5/],
      [['--cost', '--adjust', '-101'], /from -100 to 1000 percent/],
      [
        ['--cost', '--customer', 'c0000000-0000-4000-8000-00000000dead'],
        /no customer c0000000-0000-4000-8000-00000000dead/,
      ],
      [['--cost', '--customer', 'x', '--reseller', '1'], /--customer or --reseller, not both/],
      [['--cost', '--category', 'a', '--publisher', 'b'], /--category or --publisher, not both/],
      [['--cost', '--from', '2026-13'], /--period "2026-13"|not a billing period/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['prices', 'set', ...args, '--db', db]);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.match(
      (await cli(['prices', 'list', '--db', db])).stdout,
      /no price rules: every line is charged at its cost/,
    );
    const bad = await cli(['margins', '--by', 'country', '--db', db]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--by must be customer, reseller, subscription, meter-category or publisher/);
    // Margins are read from price bases kept for the period's lines as they were: new lines of the
    // period make them be computed again.
    const before = JSON.parse((await cli(['margins', '--period', PERIOD, '--json', '--db', db])).stdout) as {
      group: string;
      cost: string;
    }[];
    const partnerId = (JSON.parse(fs.readFileSync(`${file}.expect.json`, 'utf8')) as { partnerId: string }).partnerId;
    const more = generate(dir, 'more.csv', { rows: 200, customers: 3, period: PERIOD, seed: 8, partner: partnerId });
    assert.equal((await cli(['import', more.file, '--db', db])).status, 0);
    const afterImport = JSON.parse((await cli(['margins', '--period', PERIOD, '--json', '--db', db])).stdout) as {
      group: string;
      cost: string;
    }[];
    const costOf = (rows: { cost: string }[]) => rows.reduce((n, r) => n + units(r.cost), 0n);
    const added = Object.values(more.expect.customers).reduce((n, c) => n + units(c.billing), 0n);
    assert.equal(costOf(afterImport), costOf(before) + added, 'the new lines are in the figures');
    assert.ok(afterImport.length > before.length);
    // Without rules, the price is the cost and the margin 0.
    const rows = JSON.parse((await cli(['margins', '--period', PERIOD, '--json', '--db', db])).stdout) as {
      cost: string;
      price: string;
      margin: string;
    }[];
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.equal(r.price, r.cost);
      assert.equal(units(r.margin), 0n);
    }
  });
});
