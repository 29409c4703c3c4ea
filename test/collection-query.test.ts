import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationFastifyRequest } from '../src/server/operation-request.js';
import { ApiError } from '../src/contract/api-errors.js';
import { currentBillingPeriod } from '../src/domain/usage-model.js';
import { customerTenantId } from '../src/contract/parameters.js';
import { MAX_PAGE_SIZE, readCollectionQuery, resolvePeriod } from '../src/server/collection-query.js';

const request = (query: Record<string, string | string[]>, headers: Record<string, string | string[]> = {}) =>
  ({ query, headers }) as unknown as OperationFastifyRequest;

/** The 400 description a query gets. */
function refusal(query: Record<string, string | string[]>, headers?: Record<string, string | string[]>): string {
  try {
    readCollectionQuery(request(query, headers));
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 800002);
    return error.message;
  }
  assert.fail(`${JSON.stringify(query)} was accepted`);
}

describe('collection query: size', () => {
  it('accepts page sizes from 1 to exactly 1000', () => {
    assert.equal(MAX_PAGE_SIZE, 1000);
    for (const size of ['1', '7', '999', '1000', '0100']) {
      assert.equal(readCollectionQuery(request({ size })).size, Number(size), size);
    }
    assert.equal(readCollectionQuery(request({})).size, undefined);
  });

  it('refuses 0, 1001, signs, fractions, exponents and words, quoting the value', () => {
    for (const size of ['0', '1001', '9999', '-1', '+5', '1.5', '1e3', ' 5', 'ten', '', '00000']) {
      assert.equal(refusal({ size }), `The size '${size}' is not a page size from 1 to 1000.`, size);
    }
    assert.equal(refusal({ size: 'x'.repeat(100) }), `The size '${'x'.repeat(40)}' is not a page size from 1 to 1000.`);
  });
});

describe('collection query: period', () => {
  it('accepts YYYY-MM from 2010-01 to next month, and means the current UTC month without one', () => {
    assert.equal(readCollectionQuery(request({ period: '2026-01' })).period, '2026-01');
    assert.equal(readCollectionQuery(request({ period: '2010-01' })).period, '2010-01');
    for (const period of ['2009-12', '0030-11', '2999-01'])
      assert.throws(() => readCollectionQuery(request({ period })), /outside the billing periods held/, period);
    assert.equal(readCollectionQuery(request({})).period, undefined);
    assert.equal(resolvePeriod(undefined), currentBillingPeriod());
    assert.equal(resolvePeriod('2025-02'), '2025-02');
  });

  it('refuses other spellings, quoting at most 40 characters', () => {
    for (const period of ['2026-13', '2026-00', '2026-1', '202611', '2026-11-01', ' 2026-11', 'now']) {
      assert.equal(refusal({ period }), `The period '${period}' is not a billing period (YYYY-MM).`, period);
    }
    assert.match(refusal({ period: '9'.repeat(50) }), new RegExp(`^The period '${'9'.repeat(40)}' is`));
  });

  it('refuses a parameter given twice', () => {
    assert.equal(refusal({ period: ['2026-01', '2026-02'] }), 'The query parameter period is given more than once.');
    assert.equal(refusal({ size: ['1', '2'] }), 'The query parameter size is given more than once.');
  });
});

describe('collection query: seek_operation', () => {
  it('takes the next page from the MS-ContinuationToken header, under any of the SDKs’ spellings', () => {
    const headers = { 'ms-continuationtoken': 'tok' };
    for (const name of ['seek_operation', 'seekOperation', 'seekoperation']) {
      for (const value of ['Next', 'next', 'NEXT']) {
        assert.equal(
          readCollectionQuery(request({ [name]: value }, headers)).continuationToken,
          'tok',
          `${name}=${value}`,
        );
      }
    }
    assert.equal(
      readCollectionQuery(request({ seek_operation: 'Next' }, { 'ms-continuationtoken': ['a', 'b'] }))
        .continuationToken,
      'a',
    );
  });

  it('ignores the header without seek_operation, and refuses seek_operation without it or with another value', () => {
    assert.equal(readCollectionQuery(request({}, { 'ms-continuationtoken': 'tok' })).continuationToken, undefined);
    assert.equal(refusal({ seek_operation: 'Next' }), 'seek_operation=Next needs the MS-ContinuationToken header.');
    assert.equal(
      refusal({ seek_operation: 'Next' }, { 'ms-continuationtoken': '' }),
      'seek_operation=Next needs the MS-ContinuationToken header.',
    );
    assert.equal(
      refusal({ seek_operation: 'N'.repeat(60) }, { 'ms-continuationtoken': 'tok' }),
      `Unable to parse enum: seek_operation '${'N'.repeat(40)}'.`,
    );
    assert.equal(
      refusal({ seekOperation: 'Previous' }, { 'ms-continuationtoken': 'tok' }),
      "Unable to parse enum: seek_operation 'Previous'.",
    );
  });
});

describe('GUID path parameters', () => {
  it('accept a GUID in any case and give it in lower case', () => {
    assert.equal(
      customerTenantId.parse('C1111111-2222-4333-8444-55555555555A'),
      'c1111111-2222-4333-8444-55555555555a',
    );
  });

  it('refuse anything else with the parameter named', () => {
    for (const bad of [
      'c1111111-2222-4333-8444-5555555555555',
      'c1111111-2222-4333-8444-55555555555',
      'c11111112222-4333-8444-555555555555x',
      'g1111111-2222-4333-8444-555555555555',
      '{c1111111-2222-4333-8444-555555555555}',
      'c1111111_2222_4333_8444_555555555555',
      ' c1111111-2222-4333-8444-55555555555',
      'c1111111-2222-4333-8444-555555555555\n',
    ]) {
      assert.throws(
        () => customerTenantId.parse(bad),
        (e: unknown) =>
          e instanceof ApiError &&
          e.status === 400 &&
          e.message === `The customer-tenant-id '${bad.slice(0, 80)}' is not a valid GUID.`,
        JSON.stringify(bad),
      );
    }
  });
});
