/**
 * ChildRpc: one forked child process (a TypeScript script run through tsx) driven by request/response messages:
 * `call(message)` sends `{ ...message, id }` and settles with the child's `{ id, ok, result | message }` reply.
 * The SlateDB child wrappers (slatedb-remote.ts, slatedb-differential.ts) share it.
 *
 * Invariants: every call settles: with its reply, or, once the child has exited, with that death (every pending
 * call is rejected then, and every later call at once).
 * Concurrency: any number of calls in flight; the child answers them in the order it processes them.
 */
import { type ChildProcess, fork } from 'node:child_process';

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  message?: string;
}

/** A child process answering numbered requests. */
export class ChildRpc {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #dead: Error | undefined;

  /** Forks `script` under tsx; `name` prefixes the errors it reports (e.g. 'SlateDB'). */
  constructor(script: string, name: string) {
    this.#child = fork(script, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.id);
      if (w === undefined) return;
      this.#waiting.delete(r.id);
      if (r.ok) w.resolve(r.result);
      else w.reject(new Error(`${name}: ${r.message}`));
    });
    this.#child.on('exit', (code, signal) => {
      this.#dead = new Error(`${name} child exited (code ${code}, signal ${signal})`);
      for (const w of this.#waiting.values()) w.reject(this.#dead);
      this.#waiting.clear();
    });
  }

  /** True once the child has exited. */
  get dead(): boolean {
    return this.#dead !== undefined;
  }

  /** Sends one request; resolves with the child's result. */
  call(message: object): Promise<unknown> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#child.send({ ...message, id });
    });
  }

  /** Ends the child at once (SIGKILL). */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}
