import { MessageChannel } from 'node:worker_threads';
import { parse, type ParseTask, type WorkerMessage } from './parse-task.js';
import { spawnWorker } from './spawn-worker.js';

/** The importer's side of a running parse task, in a worker or in the importer's thread. */
export interface Parser {
  /** Gives a written batch's buffers back, for a later batch. */
  recycle(buffers: ArrayBufferLike[]): void;
  /** Ends it, finished or not. */
  stop(): Promise<void>;
}

/**
 * Starts `task`; its messages, and a worker's failure as an error message, go to `deliver`. In
 * this thread the task talks through a MessageChannel, exactly as a worker does through its port,
 * without a worker's start: ~90 ms compiled, ~300 ms from the TypeScript sources (spawn-worker.ts).
 * A worker's old generation is bounded at `heapMb` when given; past it the worker ends, said by
 * an error message with `outOfMemory`.
 */
export function startParser(
  task: ParseTask,
  inThread: boolean,
  deliver: (message: WorkerMessage) => void,
  heapMb?: number,
): Parser {
  if (inThread) {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', deliver);
    void parse(task, port2);
    return {
      recycle: (buffers) => port1.postMessage(buffers),
      stop: async () => port1.close(),
    };
  }
  const worker = spawnWorker(import.meta.url, 'parse-worker', task, heapMb);
  worker.on('message', deliver);
  worker.on('error', (error: Error & { code?: string }) =>
    deliver({
      type: 'error',
      message: error.message,
      ...(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { outOfMemory: true as const } : {}),
    }),
  );
  worker.on('exit', (code) => {
    if (code !== 0) deliver({ type: 'error', message: `parser stopped with exit code ${code}` });
  });
  return {
    recycle: (buffers) => worker.postMessage(buffers),
    stop: async () => {
      await worker.terminate();
    },
  };
}
