import { parentPort, workerData } from 'node:worker_threads';
import { parquetEncoder, type EncoderMessage, type EncoderTask, type ParquetPlan } from './parquet-encoder.js';

/** The Parquet encoder's thread (row-sinks.ts starts it): row groups in, their bytes out. */
const port = parentPort!;
const send = (message: EncoderMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const encoder = parquetEncoder(workerData as ParquetPlan, (chunk) => send({ chunk }, [chunk.buffer as ArrayBuffer]));
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
