/**
 * /metrics' request counts and latency histogram (src/server/request-tally.ts): counted in plain
 * numbers, written in Prometheus' text format by prom-client's registry when scraped.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { RequestTally } from '../src/server/request-tally.js';

it('counts by operation and status, and puts a latency in the first bucket at or above it (le), cumulative', async () => {
  const tally = new RequestTally([0.01, 0.1]);
  const registry = new Registry();
  registry.registerMetric(tally.requestsMetric('reqs_total', 'requests'));
  registry.registerMetric(tally.durationMetric('latency_seconds', 'latency'));
  tally.add('getA', 200, 0.01); // on a bound: in it
  tally.add('getA', 200, 0.05);
  tally.add('getA', 404, 0.5); // past the last bound: +Inf only
  tally.add('getB', 200, 0.001);
  const text = await registry.metrics();
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(lines, [
    'reqs_total{operation="getA",status="200"} 2',
    'reqs_total{operation="getA",status="404"} 1',
    'reqs_total{operation="getB",status="200"} 1',
    'latency_seconds_bucket{le="0.01",operation="getA"} 1',
    'latency_seconds_bucket{le="0.1",operation="getA"} 2',
    'latency_seconds_bucket{le="+Inf",operation="getA"} 3',
    'latency_seconds_sum{operation="getA"} 0.56',
    'latency_seconds_count{operation="getA"} 3',
    'latency_seconds_bucket{le="0.01",operation="getB"} 1',
    'latency_seconds_bucket{le="0.1",operation="getB"} 1',
    'latency_seconds_bucket{le="+Inf",operation="getB"} 1',
    'latency_seconds_sum{operation="getB"} 0.001',
    'latency_seconds_count{operation="getB"} 1',
  ]);
  assert.match(text, /# TYPE reqs_total counter\n/);
  assert.match(text, /# TYPE latency_seconds histogram\n/);
});
