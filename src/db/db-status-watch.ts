/**
 * DbStatusWatch: the status channel behind Db.subscribe (0.12.1's `Db::subscribe`, a watch channel of `DbStatus`):
 * it publishes a new status whenever the durable seq advances, the writer's manifest changes (a new manifest id,
 * or local changes such as an L0 upload) or the database closes (with the close reason: clean, fenced or panic).
 *
 * Invariants: subscribers see statuses in publication order and never an older one after a newer; a subscription
 * that has seen the latest status waits for the next; once the close reason is published there is no further
 * status, so a later `changed()` fails with the closed error (as 0.12.1's receiver errors once the sender is gone);
 * listeners run in a microtask, never inside the engine's synchronous stretches; an unsubscribed listener is never
 * called again.
 * Concurrency: single event loop.
 */

import { closedError, invalidError } from '../util/errors.js';

/** What a status change is detected on (compared by identity). */
export interface StatusKey {
  readonly durableSeq: bigint;
  readonly manifestId: bigint;
  /** The manifest object itself: a local change replaces it even before a new id is written. */
  readonly manifest: object;
  readonly closeReason: string | undefined;
}

function sameKey(a: StatusKey, b: StatusKey): boolean {
  return (
    a.durableSeq === b.durableSeq &&
    a.manifestId === b.manifestId &&
    a.manifest === b.manifest &&
    a.closeReason === b.closeReason
  );
}

/** Publishes status snapshots of type S. */
export class DbStatusWatch<S extends { readonly closeReason: string | undefined }> {
  readonly #read: () => S;
  readonly #key: () => StatusKey;
  #lastKey: StatusKey;
  #current: S;
  #version = 0;
  readonly #subs = new Set<DbStatusSubscription<S>>();

  constructor(read: () => S, key: () => StatusKey) {
    this.#read = read;
    this.#key = key;
    this.#lastKey = key();
    this.#current = read();
  }

  /** The latest published status and its version. */
  get current(): { readonly status: S; readonly version: number } {
    return { status: this.#current, version: this.#version };
  }

  /** Re-reads the state; publishes a new status if anything watched changed. */
  notify(): void {
    if (this.#lastKey.closeReason !== undefined) return;
    const key = this.#key();
    if (sameKey(key, this.#lastKey)) return;
    this.#lastKey = key;
    this.#current = this.#read();
    this.#version++;
    for (const s of this.#subs) s.deliver();
  }

  /** A new subscription that starts having seen the current status. */
  subscribe(listener?: (status: S) => void): DbStatusSubscription<S> {
    if (listener !== undefined && typeof listener !== 'function')
      throw invalidError('INVALID_ARGUMENT', 'subscribe() takes a function');
    const s = new DbStatusSubscription(this, listener, () => this.#subs.delete(s));
    this.#subs.add(s);
    return s;
  }
}

/** One subscriber's view of the status channel (0.12.1's watch `Receiver<DbStatus>`). */
export class DbStatusSubscription<S extends { readonly closeReason: string | undefined }> {
  readonly #watch: DbStatusWatch<S>;
  readonly #listener: ((status: S) => void) | undefined;
  readonly #remove: () => void;
  #seen: number;
  #waiters: (() => void)[] = [];
  #active = true;

  /** @internal Use Db.subscribe. */
  constructor(watch: DbStatusWatch<S>, listener: ((status: S) => void) | undefined, remove: () => void) {
    this.#watch = watch;
    this.#listener = listener;
    this.#remove = remove;
    this.#seen = watch.current.version;
  }

  /** The latest status (0.12.1's `borrow`); does not mark it seen. */
  get status(): S {
    return this.#watch.current.status;
  }

  /** True until unsubscribe(). */
  get active(): boolean {
    return this.#active;
  }

  /** @internal A new status was published. */
  deliver(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    const listener = this.#listener;
    if (listener !== undefined) {
      const status = this.#watch.current.status;
      queueMicrotask(() => {
        if (this.#active) listener(status);
      });
    }
  }

  /**
   * The next status this subscription has not seen (at once if one was published since it last looked), marking
   * it seen. Fails with the closed error once the final (closed) status was seen, after unsubscribe(), or when
   * `signal` aborts.
   */
  async changed(signal?: AbortSignal): Promise<S> {
    for (;;) {
      if (!this.#active) throw closedError('clean', 'status subscription ended');
      const { status, version } = this.#watch.current;
      if (version !== this.#seen) {
        this.#seen = version;
        return status;
      }
      if (status.closeReason !== undefined)
        throw closedError(status.closeReason as 'clean', 'database is closed: no further status');
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The first status (the current one included) for which `predicate` holds, e.g. `s.durableSeq >= seq`. */
  async waitFor(predicate: (status: S) => boolean, signal?: AbortSignal): Promise<S> {
    let s = this.#watch.current.status;
    this.#seen = this.#watch.current.version;
    while (!predicate(s)) s = await this.changed(signal);
    return s;
  }

  /** Stops delivery: the listener is not called again and pending changed() calls fail. Idempotent. */
  unsubscribe(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#remove();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
