/**
 * One parser's work in this thread: `parse()` of parse-task.ts over a MessageChannel, as a parse
 * worker runs it, each batch handed back at once (no writing). Prints its CPU seconds — the figure
 * the import's parse workers are changed by (docs/benchmarks.md). Profile it with
 * `node --cpu-prof --import tsx bench/parse-only.ts <file>`.
 * Usage: node --import tsx bench/parse-only.ts <reconciliation file>
 */
import fs from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { parse, type ParseTask, type WorkerMessage } from '../src/ingest/parse-task.js';

const file = process.argv[2];
if (!file) throw new Error('usage: node --import tsx bench/parse-only.ts <reconciliation file>');
const head = Buffer.alloc(64 << 10);
const fd = fs.openSync(file, 'r');
const read = fs.readSync(fd, head, 0, head.length, 0);
fs.closeSync(fd);
const newline = head.subarray(0, read).indexOf(10);
const task: ParseTask = {
  file,
  start: newline + 1,
  end: fs.statSync(file).size,
  gzip: false,
  header: head.toString('utf8', 0, newline).replace(/\r$/, '').split(','),
  skipHeader: false,
  firstLine: 2,
  skipInvalid: false,
  rules: { partner: undefined, storedCurrencies: new Map(), firstDay: 19000101, lastDay: 29991231 },
  maxBytes: Number.MAX_SAFE_INTEGER,
  endsAtSplit: false,
};
const { port1, port2 } = new MessageChannel();
let lines = 0;
const cpu = process.cpuUsage();
const started = performance.now();
await new Promise<void>((resolve, reject) => {
  port1.on('message', (message: WorkerMessage) => {
    if (message.type === 'batch') {
      lines += message.batch.count;
      port1.postMessage([]); // "written": the parser may post its next batch
      return;
    }
    port1.close();
    if (message.type === 'error') reject(new Error(`line ${message.line ?? '?'}: ${message.message}`));
    else resolve();
  });
  void parse(task, port2);
});
const used = process.cpuUsage(cpu);
console.log(
  `${lines.toLocaleString('en-US')} lines parsed: CPU ${((used.user + used.system) / 1e6).toFixed(2)} s, ` +
    `wall ${((performance.now() - started) / 1000).toFixed(2)} s`,
);
