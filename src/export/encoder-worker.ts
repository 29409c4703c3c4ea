import { parentPort, workerData } from 'node:worker_threads';
import type { GroupColumnData } from './column-groups.js';
import { csvEncoder } from './csv-encoder.js';
import type { ExportColumn } from './export-layout.js';
import { parquetEncoder, type ParquetPlan } from './parquet-encoder.js';

/** What an encoder thread writes: CSV of the columns, or Parquet by its plan. */
export type EncoderPlan =
  | { readonly encoding: 'csv'; readonly columns: readonly ExportColumn[] }
  | ({ readonly encoding: 'parquet' } & ParquetPlan);
/** Messages to the thread that writes the file: encoded bytes in order, then that a group or the file is done. */
export type EncoderMessage = { chunk: Uint8Array } | { group: true } | { done: true } | { error: string };
/** Messages from it: a group's columns, or the end. */
export type EncoderTask = { group: GroupColumnData[] } | { end: true };

/** An export's encoder thread (row-sinks.ts starts it): groups of rows in, the file's bytes out. */
if (parentPort) {
  const port = parentPort;
  const send = (message: EncoderMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const emit = (chunk: Uint8Array) => send({ chunk }, [chunk.buffer as ArrayBuffer]);
  const plan = workerData as EncoderPlan;
  const encoder = plan.encoding === 'csv' ? csvEncoder(plan.columns, emit) : parquetEncoder(plan, emit);
  port.on('message', (task: EncoderTask) => {
    try {
      if ('group' in task) {
        encoder.writeGroup(task.group);
        send({ group: true });
      } else {
        encoder.finish();
        send({ done: true });
      }
    } catch (error) {
      send({ error: error instanceof Error ? error.message : String(error) });
    }
  });
}
