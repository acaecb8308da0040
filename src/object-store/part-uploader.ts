/**
 * Part uploads for streamed puts (S3 multipart parts, Azure blocks): uploads the parts of a stream with bounded
 * concurrency, retrying each part on transient failure (a part upload is idempotent: the same part number or
 * block id with the same bytes), and returns the per-part results in part order.
 *
 * Invariants: at most `concurrency` parts are in flight and at most `concurrency + 1` parts are held in memory;
 * parts are numbered from 0 in stream order; the first failure (after its retries) stops reading the stream and
 * is rethrown once every in-flight part has settled.
 * Concurrency: one call per upload; the stream is read by this function only.
 */
import type { Clock } from '../util/clock.js';
import { isRetryableObjectStoreError, ObjectStoreError } from './object-store.js';
import type { RetryPolicy } from './retry-policy.js';

/** Options for {@link uploadParts}. */
export interface UploadPartsOptions {
  readonly concurrency: number;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly signal?: AbortSignal | undefined;
  /** For messages. */
  readonly path: string;
}

/** Uploads every part with `uploadOne` and returns the results in part order. */
export async function uploadParts<T>(
  parts: AsyncIterable<Buffer>,
  uploadOne: (part: Buffer, index: number) => Promise<T>,
  options: UploadPartsOptions,
): Promise<T[]> {
  const results: T[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let index = 0;
  try {
    for await (const part of parts) {
      if (failure !== undefined) break;
      options.signal?.throwIfAborted();
      const i = index++;
      const p: Promise<void> = withPartRetries(() => uploadOne(part, i), options).then(
        (r) => {
          results[i] = r;
        },
        (e) => {
          failure ??= { error: e };
        },
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
  } finally {
    // Never leave part uploads running behind the caller's back (it may abort the whole upload next).
    await Promise.allSettled(inFlight);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}

async function withPartRetries<T>(fn: () => Promise<T>, options: UploadPartsOptions): Promise<T> {
  const startMs = options.clock.monotonicMs();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryableObjectStoreError(e) || options.signal?.aborted) throw e;
      const delayMs = options.policy.nextDelayMs(attempt);
      if (!options.policy.mayRetry(attempt, options.clock.monotonicMs() - startMs, delayMs)) {
        throw new ObjectStoreError('transient', 'putStream', options.path, `part failed ${attempt} times`, e);
      }
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}
