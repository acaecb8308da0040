/**
 * The flush workers' entry module (runs in a `node:worker_threads` worker of an {@link L0EncoderPool}): encodes
 * packed rows as L0 and WAL SSTs with the same builders as the in-thread path (l0-encoding.ts).
 *
 * Invariants: the worker never touches an object store; the encoded bytes are transferred back, never kept.
 * Concurrency: tasks run one after another on this thread (each is synchronous).
 */

import { serveTasks } from '../util/worker-runtime.js';
import { encodeHandlers } from './l0-encoding.js';

serveTasks(encodeHandlers);
