import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseKey, trimAsciiSpace } from '../src/domain/identifiers.js';

describe('identifiers', () => {
  it('are one id under any case of ASCII letters and any surrounding ASCII white space', () => {
    assert.equal(normaliseKey('  C1111111-2222-4333-8444-55555555555A\t'), 'c1111111-2222-4333-8444-55555555555a');
    assert.equal(normaliseKey('/SUBSCRIPTIONS/ABC/resourceGroups/RG-1'), '/subscriptions/abc/resourcegroups/rg-1');
    assert.equal(normaliseKey('DZH318Z0BNVX-005J'), 'dzh318z0bnvx-005j');
    assert.equal(normaliseKey('ÄÖ-Ü'), 'ÄÖ-Ü', 'only ASCII letters fold, as the byte-level key does');
    assert.equal(normaliseKey(''), '');
  });

  it('lose ASCII white space at both ends, all of it, and keep it inside and any other space', () => {
    assert.equal(trimAsciiSpace(' \t\r\n\v\f a b \f\v\n\r\t '), 'a b');
    assert.equal(trimAsciiSpace('   x'), 'x');
    assert.equal(trimAsciiSpace('x   '), 'x');
    assert.equal(trimAsciiSpace('\u00a0x\u00a0'), '\u00a0x\u00a0', 'U+00A0 is not ASCII white space');
    assert.equal(trimAsciiSpace('a  b'), 'a  b');
    assert.equal(trimAsciiSpace('   '), '');
  });
});
