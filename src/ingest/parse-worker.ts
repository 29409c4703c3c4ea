import { parentPort, workerData } from 'node:worker_threads';
import { parse, type ParseTask } from './parse-task.js';

/** A parse worker's thread: one parse task, its messages to the importer through parentPort. */
void parse(workerData as ParseTask, parentPort!);
