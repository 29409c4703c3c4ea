/**
 * Issue #26's item 15: /openapi.json states the rules the server enforces, so a client generated
 * from it never sends what the server refuses. For each rule, requests on both sides of it are
 * checked against the document's own schemas (ajv) and sent to a real server: a request the
 * document allows is never a 400, and one it forbids is always one. (schemathesis, which does this
 * by generation, cannot be installed here: PyPI is out of reach.)
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { openApiDocument } from '../src/contract/openapi.js';
import { importFile } from '../src/ingest/importer.js';
import { testDatabase } from './helpers/backends.js';
import { usageLine, writeDailyRated } from './helpers/daily-rated-lines.js';
import { tempDir } from './helpers/fixtures.js';
import { stopPostgres } from './helpers/postgres.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

after(stopPostgres);

const PARTNER = '11111111-aaaa-4bbb-8ccc-0000000000f1';
const CUSTOMER = 'c0000000-0000-4000-8000-0000000000f1';

interface ParameterObject {
  name: string;
  in: string;
  required: boolean;
  schema: object;
}
interface OperationObject {
  parameters: ParameterObject[];
  requestBody?: { content: Record<string, { schema: object }> };
}
const doc = openApiDocument('test') as { paths: Record<string, Record<string, OperationObject>> };
// Formats are checked by the server's own rules; ajv checks the rest of each schema.
const ajv = new Ajv({ strict: false, validateFormats: false });

/** Whether the document allows this query on the operation (every required parameter, each schema). */
function queryAllowed(op: OperationObject, query: Record<string, string>): boolean {
  for (const p of op.parameters.filter((x) => x.in === 'query')) {
    const value = query[p.name];
    if (value === undefined) {
      if (p.required) return false;
      continue;
    }
    const typed = (p.schema as { type?: string }).type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (!ajv.validate(p.schema, typed)) return false;
  }
  return true;
}

const bodyAllowed = (op: OperationObject, body: unknown) =>
  ajv.validate(op.requestBody!.content['application/json']!.schema, body);

describe('the OpenAPI document states the rules the server enforces', () => {
  const dir = tempDir();
  let server: TestServer;
  let user: string;
  let ingest: string;

  before(async () => {
    const db = await testDatabase('sqlite', dir, 'rules');
    server = await startTestServer(db);
    const file = path.join(dir, 'usage.csv');
    writeDailyRated(file, [usageLine(PARTNER, CUSTOMER)]);
    await importFile(server.store, file);
    user = await server.token({ tenant: PARTNER, user: 'admin@partner.example' });
    ingest = await server.token({ tenant: PARTNER, user: 'ingest@partner.example', ingest: true });
  });
  after(() => server.close());

  const send = async (method: string, url: string, body?: unknown, token = user) =>
    (
      await fetch(`${server.baseUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    ).status;

  /** The document's verdict and the server's agree: allowed → not 400; forbidden → 400. */
  const agree = (what: string, allowed: boolean, status: number, expectAllowed: boolean) => {
    assert.equal(allowed, expectAllowed, `${what}: the document ${allowed ? 'allows' : 'forbids'} it`);
    if (allowed) assert.notEqual(status, 400, `${what}: allowed by the document, refused by the server`);
    else assert.equal(status, 400, `${what}: forbidden by the document, taken by the server (${status})`);
  };

  it("the older line-item route's query: provider, type, ISO 4217 currency, period, size, seekOperation", async () => {
    const op = doc.paths['/v1/invoices/unbilled/lineitems']!.get!;
    const base = { provider: 'onetime', invoicelineitemtype: 'usagelineitems', currencycode: 'USD', period: 'current' };
    const cases: [string, Record<string, string>, boolean][] = [
      ['the whole query', base, true],
      ['a page size of 2000', { ...base, size: '2000' }, true],
      ['EUR', { ...base, currencycode: 'EUR' }, true],
      ['XXX', { ...base, currencycode: 'XXX' }, false],
      ['ABC', { ...base, currencycode: 'ABC' }, false],
      ['period last', { ...base, period: 'last' }, false],
      ['size 0', { ...base, size: '0' }, false],
      ['size 2001', { ...base, size: '2001' }, false],
      ['provider other', { ...base, provider: 'azure' }, false],
      ['no currency', { provider: 'onetime', invoicelineitemtype: 'usagelineitems', period: 'current' }, false],
    ];
    for (const [what, query, expected] of cases) {
      agree(
        what,
        queryAllowed(op, query),
        await send('GET', `/v1/invoices/unbilled/lineitems?${new URLSearchParams(query)}`),
        expected,
      );
    }
  });

  it("the customers view's filter and the period's bounds", async () => {
    const op = doc.paths['/v1/partnerusage/customers']!.get!;
    const cases: [string, Record<string, string>, boolean][] = [
      ['two standings', { filter: 'over-budget,anomaly' }, true],
      ['an unknown standing', { filter: 'bogus' }, false],
      ['2010-01', { period: '2010-01' }, true],
      ['2009-12', { period: '2009-12' }, false],
      ['0030-11', { period: '0030-11' }, false],
    ];
    for (const [what, query, expected] of cases) {
      agree(
        what,
        queryAllowed(op, query),
        await send('GET', `/v1/partnerusage/customers?${new URLSearchParams(query)}`),
        expected,
      );
    }
  });

  it("the budget's minimum, maximum and decimals", async () => {
    const op = doc.paths['/v1/customers/{customer-tenant-id}/usagebudget']!.patch!;
    const cases: [string, unknown, boolean][] = [
      ['0', 0, true],
      ['6 decimals', 1.123456, true],
      ['10^12', 1e12, true],
      ['null', null, true],
      ['negative', -1, false],
      ['7 decimals', 1.1234567, false],
      ['over 10^12', 1e12 + 1, false],
    ];
    for (const [what, amount, expected] of cases) {
      const body = { amount };
      agree(what, bodyAllowed(op, body), await send('PATCH', `/v1/customers/${CUSTOMER}/usagebudget`, body), expected);
    }
  });

  it('the webhook URL and events, and the line items a request carries', async () => {
    const op = doc.paths['/v1/partnerusage/webhooks']!.post!;
    const cases: [string, unknown, boolean][] = [
      ['a public https URL', { url: 'https://hooks.example.com/a', events: ['usage.anomaly'] }, true],
      ['no events list (all)', { url: 'https://hooks.example.com/b' }, true],
      ['an empty events list', { url: 'https://hooks.example.com/c', events: [] }, false],
      ['an unknown event', { url: 'https://hooks.example.com/d', events: ['nope'] }, false],
      ['ftp', { url: 'ftp://hooks.example.com/' }, false],
      ['credentials', { url: 'https://user:pw@hooks.example.com/' }, false],
      ['2,049 characters', { url: `https://hooks.example.com/${'a'.repeat(2049 - 26)}` }, false],
    ];
    for (const [what, body, expected] of cases) {
      agree(what, bodyAllowed(op, body), await send('POST', '/v1/partnerusage/webhooks', body), expected);
    }
    const ingestion = doc.paths['/v1/partnerusage/lineitems']!.post!;
    assert.ok(ingestion.requestBody!.content['application/x-ndjson'], 'NDJSON is a documented media type');
    agree(
      'no line items',
      bodyAllowed(ingestion, []),
      await send('POST', '/v1/partnerusage/lineitems', [], ingest),
      false,
    );
    assert.ok(
      (ingestion as unknown as { responses: Record<string, unknown> }).responses['503'],
      'the 503 of a busy ingestion is documented',
    );
  });
});
