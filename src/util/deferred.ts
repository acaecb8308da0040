/**
 * Deferred: a promise with its resolve and reject exposed, for results produced by another task (a WAL flush
 * resolving the writes it made durable).
 *
 * Invariants: settles at most once (later calls are ignored); an unobserved rejection never crashes the process
 * (a no-op handler is attached), while every awaiting caller still sees it.
 * Concurrency: single event loop.
 */

/** A promise settled from outside. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;
  #settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {});
  }

  get settled(): boolean {
    return this.#settled;
  }

  resolve(v: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(v);
  }

  reject(e: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(e);
  }
}
