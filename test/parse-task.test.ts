import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Papa from 'papaparse';
import { MessageChannel } from 'node:worker_threads';
import { readLayout } from '../src/ingest/file-source.js';
import { BATCH_LINES, bufferOf } from '../src/domain/line-batch.js';
import { parse, type ParseTask, type WorkerMessage } from '../src/ingest/parse-task.js';
import { generate, tempDir } from './helpers/fixtures.js';

const dir = tempDir();

/** Runs a parse task in this thread over all of `file`; its batch messages, in order. */
async function batchesOf(file: string, skipInvalid: boolean): Promise<Extract<WorkerMessage, { type: 'batch' }>[]> {
  const layout = await readLayout(file);
  const task: ParseTask = {
    file,
    start: layout.bodyStart,
    end: layout.size,
    gzip: false,
    header: layout.header,
    skipHeader: false,
    firstLine: layout.bodyLine,
    skipInvalid,
    rules: { partner: undefined, storedCurrencies: new Map(), firstDay: 20200101, lastDay: 20301231 },
    maxBytes: 2 ** 40,
    endsAtSplit: false,
  };
  const { port1, port2 } = new MessageChannel();
  const batches: Extract<WorkerMessage, { type: 'batch' }>[] = [];
  await new Promise<void>((resolve, reject) => {
    port1.on('message', (message: WorkerMessage) => {
      if (message.type === 'batch') {
        batches.push(message);
        port1.postMessage(bufferOf(message.batch));
      } else if (message.type === 'done') resolve();
      else reject(new Error(message.message));
    });
    void parse(task, port2);
  });
  port1.close();
  return batches;
}

// A batch's new entries and refused records are held as strings until it is taken: a worker's
// heap is bounded, so a batch is taken once 4 MiB of them are held, whatever its line count.
describe('a parse task takes a batch early', () => {
  it('when 4 MiB of its records brought new entries', async () => {
    // One day, one meter: every line is a resource of its own (~850 bytes a line, ~13 MB).
    const { file } = generate(dir, 'new-entries.csv', { rows: 16000, customers: 4000, meters: 1, days: 1, seed: 5 });
    const batches = await batchesOf(file, false);
    assert.equal(
      batches.reduce((n, b) => n + b.batch.count, 0),
      16000,
    );
    // Without the bound: the first batch (1,024 lines and a chunk), then 8,192 lines and the rest.
    assert.ok(batches.length >= 4, `${batches.length} batches`);
    for (const { batch } of batches.slice(1, -1)) {
      assert.ok(batch.count < BATCH_LINES, `a batch of ${batch.count} lines, all new resources: over 4 MiB`);
      // …and not far below it: 4 MiB are ~4,900 of these lines.
      assert.ok(batch.count > 4000, `a batch of ${batch.count} lines: under 4 MiB of new entries`);
      assert.ok(batch.resources.length === batch.count, 'every line of it brought its resource');
    }
  });

  it('when 4 MiB of its records were refused (--skip-invalid)', async () => {
    const { file } = generate(dir, 'refused.csv', { rows: 9000, customers: 40, seed: 6 });
    // Every line refused: its usage day is not a date.
    const [header, ...records] = Papa.parse<string[]>(fs.readFileSync(file, 'utf8'), { skipEmptyLines: true }).data;
    const day = header!.indexOf('UsageDate');
    for (const record of records) record[day] = 'not a date';
    const refused = path.join(dir, 'refused-all.csv');
    fs.writeFileSync(refused, Papa.unparse([header!, ...records], { newline: '\n' }) + '\n');
    const batches = await batchesOf(refused, true);
    const rejections = batches.reduce((n, b) => n + b.rejections.length, 0);
    assert.equal(rejections, 9000);
    assert.equal(
      batches.reduce((n, b) => n + b.batch.count, 0),
      0,
    );
    // Without the bound: one message at the end, with all 9,000 refused records (~7 MB of text).
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    assert.ok(
      batches.every((b) => b.rejections.length < BATCH_LINES),
      'no batch holds every refused record',
    );
  });
});
