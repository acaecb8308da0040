#!/usr/bin/env node
/**
 * The `shaledb` executable: runs the command line (run.ts) with the process's stdout, stderr, environment and
 * signals, and exits with its exit code. See docs/cli.md for the commands.
 *
 * Invariants: one command per process; the exit code is run.ts's.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
