/**
 * The worker thread of `analyzeCapturePipelined` (analyze-pipeline.ts), built
 * to out/main/decode-worker.js: reads and decodes a capture into the shared
 * segment ring described by its `workerData`.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { runDecodeWorker } from './analyze-pipeline';

if (!isMainThread && workerData) runDecodeWorker(workerData);
