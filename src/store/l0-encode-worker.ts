/**
 * The flush workers' entry module (runs in a `node:worker_threads` worker of an {@link L0EncoderPool}): encodes
 * packed memtable rows as L0 SSTs with the same builder as the in-thread path (l0-encoding.ts).
 *
 * Invariants: the worker never touches an object store; the encoded bytes are transferred back, never kept.
 * Concurrency: tasks run one after another on this thread (each is synchronous).
 */

import { serveTasks } from '../util/worker-runtime.js';
import { ENCODE_L0_TASK, encodeL0Handler } from './l0-encoding.js';

serveTasks({ [ENCODE_L0_TASK]: encodeL0Handler });
