import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { ApiFault } from '../src/contract/resources.js';
import { BoundedCache } from '../src/server/bounded-cache.js';
import { MAX_PAGE_SIZE } from '../src/server/collection-query.js';
import { REQUEST_LIMITS } from '../src/server/request-limits.js';
import { ResponseCache } from '../src/server/response-cache.js';
import { testDatabase } from './helpers/backends.js';
import { tempDir } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const validFault = new Ajv().compile(ApiFault);
const PARTNER = '0f1e2d3c-4b5a-4697-8877-665544332211';

/** A raw HTTP/1.1 exchange: what fetch cannot send (bad encodings, huge headers, TRACE). */
function rawRequest(
  server: TestServer,
  request: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      let body = rest.join('\r\n\r\n');
      if (headers['transfer-encoding'] === 'chunked')
        body = body.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(
      request.includes('Connection:') ? request : request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'),
    );
  });
}

function assertFault(
  r: { status: number; headers: Record<string, string>; body: string },
  status: number,
  description: RegExp,
) {
  assert.equal(r.status, status, r.body);
  const body = JSON.parse(r.body) as { description: string };
  assert.ok(validFault(body), JSON.stringify(validFault.errors));
  assert.match(body.description, description);
  assert.match(r.headers['ms-requestid'] ?? '', /^[0-9a-f-]{36}$/);
  assert.match(r.headers['ms-correlationid'] ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(r.headers['ms-cv'], 'MS-CV');
  assert.match(r.headers['ms-serverid'] ?? '', /^\d{9}$/);
}

describe('HTTP limits and error format', () => {
  const dir = tempDir();
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startTestServer(await testDatabase('sqlite', dir, 'limits'));
    token = await server.token({ tenant: PARTNER });
  });
  after(() => server.close());

  it('answers a malformed percent-encoding in the path with the fault body and ids (400)', async () => {
    const r = await rawRequest(server, 'GET /v1/customers/%E0%A4%A/usagerecords HTTP/1.1\r\nHost: x\r\n\r\n');
    assertFault(r, 400, /not a valid URL/);
  });

  it(`answers headers over ${REQUEST_LIMITS.headerBytes} bytes with the fault body and ids (431)`, async () => {
    const r = await rawRequest(
      server,
      `GET /v1/customers/usagerecords HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(REQUEST_LIMITS.headerBytes)}\r\n\r\n`,
    );
    assertFault(r, 431, /headers are larger than 16384 bytes/);
  });

  it('answers what is not HTTP with the fault body and ids (400)', async () => {
    const r = await rawRequest(server, 'HELLO THERE\r\n\r\n');
    assertFault(r, 400, /not valid HTTP/);
  });

  it(`answers a URL over ${REQUEST_LIMITS.urlLength} characters with 414, and one at the limit normally`, async () => {
    const at = `/v1/customers/usagerecords?x=${'a'.repeat(REQUEST_LIMITS.urlLength - '/v1/customers/usagerecords?x='.length)}`;
    const ok = await rawRequest(server, `GET ${at} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    assert.equal(ok.status, 200, ok.body);
    assertFault(await rawRequest(server, `GET ${at}a HTTP/1.1\r\nHost: x\r\n\r\n`), 414, /longer than 4096/);
  });

  it(`answers a body over ${REQUEST_LIMITS.bodyBytes} bytes with 413 and the fault body`, async () => {
    const body = 'x'.repeat(REQUEST_LIMITS.bodyBytes + 1);
    const r = await rawRequest(
      server,
      `POST /v1/customers/usagerecords HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assertFault(r, 413, /larger than 65536 bytes/);
  });

  it(`takes pages of 1 to ${MAX_PAGE_SIZE} items, and answers 400 past either end`, async () => {
    const get = (size: string) =>
      rawRequest(
        server,
        `GET /v1/customers/usagerecords?size=${size} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
    for (const ok of ['1', String(MAX_PAGE_SIZE)]) assert.equal((await get(ok)).status, 200, ok);
    for (const bad of ['0', String(MAX_PAGE_SIZE + 1), '10000', '-1', '1e3']) {
      assertFault(await get(bad), 400, /is not a page size from 1 to 1000/);
    }
  });

  for (const method of ['OPTIONS', 'TRACE', 'PUT']) {
    it(`answers ${method} on a usage route with 405, an Allow header and the fault body`, async () => {
      const r = await rawRequest(server, `${method} /v1/customers/usagerecords HTTP/1.1\r\nHost: x\r\n\r\n`);
      assertFault(r, 405, new RegExp(`method ${method} is not allowed`));
      assert.equal(r.headers.allow, 'GET, HEAD');
    });
  }
});

describe('bounded caches', () => {
  it('keeps the response cache under its bound in bytes, dropping the least recently used first', () => {
    const cache = new ResponseCache(100_000);
    assert.equal(cache.get('period-0', 'v1'), undefined); // as a route does: look first, at the data version
    for (let i = 0; i < 1000; i++) cache.set(`period-${i}`, 'v1', 'x'.repeat(1000));
    assert.ok(cache.bytes <= 100_000, `${cache.bytes}`);
    assert.ok(cache.bytes > 90_000, 'the bound is used, not a fraction of it');
    assert.equal(cache.get('period-0', 'v1'), undefined, 'the oldest went first');
    assert.equal(cache.get('period-999', 'v1')?.length, 1000);
  });

  it('keeps an entry used recently over one used longer ago', () => {
    const cache = new BoundedCache<string>(4 * 2 * 100, (k, v) => 2 * (k.length + v.length));
    cache.set('a', 'x'.repeat(99));
    cache.set('b', 'x'.repeat(99));
    cache.get('a');
    cache.set('c', 'x'.repeat(99));
    cache.set('d', 'x'.repeat(99));
    cache.set('e', 'x'.repeat(99));
    assert.ok(cache.get('a'), 'a was used after b');
    assert.equal(cache.get('b'), undefined);
  });

  it('does not keep a body larger than a quarter of the bound, nor anything after a data change', () => {
    const cache = new ResponseCache(10_000);
    cache.get('big', 'v1');
    // Bodies count their UTF-8 bytes (they are kept as the bytes sent): 2,600 > 10,000 / 4.
    cache.set('big', 'v1', 'x'.repeat(2600));
    assert.equal(cache.get('big', 'v1'), undefined);
    cache.set('small', 'v1', 'x');
    assert.equal(cache.get('small', 'v1')?.toString(), 'x');
    assert.equal(cache.get('small', 'v2'), undefined);
    assert.equal(cache.bytes, 0);
  });
});
