// The bare parse of a file, alone in its own process (see bareParse in bench-file.ts); prints JSON.
import fs from 'node:fs';
import { CsvScanner } from '../src/ingest/csv-scanner.js';

const file = process.argv[2]!;
const started = performance.now();
let lines = -1; // the header
const scanner = new CsvScanner(() => {
  lines++;
});
for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
scanner.end();
console.log(JSON.stringify({ lines, seconds: (performance.now() - started) / 1000 }));
