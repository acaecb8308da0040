/**
 * Manifest merge rules, data-driven (testdata/manifest-merge/*.txt; regenerate expected outputs with
 * `node --import tsx src/store/manifest-merge.test.ts --rewrite`): `writer` merges a remote manifest into the
 * writer's local one, `compactor` into the compactor's, and prints the result.
 */
import { type DataDrivenCase, runDataDriven } from '../../test/support/datadriven.js';
import { NameTable, parseManifest, printManifest } from '../../test/support/manifest-text.js';
import type { Manifest } from '../format/manifest.js';
import { mergeRemoteIntoCompactor, mergeRemoteIntoWriter } from './manifest-merge.js';

function sides(c: DataDrivenCase, names: NameTable): { remote: Manifest; local: Manifest } {
  const tokens: Record<string, string[]> = { remote: [], local: [] };
  for (const line of c.input) {
    const [side, ...rest] = line.trim().split(/\s+/);
    if (side !== 'remote' && side !== 'local')
      throw new Error(`${c.pos}: a line starts with remote or local`);
    tokens[side]!.push(...rest);
  }
  return { remote: parseManifest(tokens['remote']!, names), local: parseManifest(tokens['local']!, names) };
}

runDataDriven('manifest-merge', (c) => {
  const names = new NameTable();
  const { remote, local } = sides(c, names);
  switch (c.command) {
    case 'writer':
      return printManifest(mergeRemoteIntoWriter(remote, local), names);
    case 'compactor':
      return printManifest(mergeRemoteIntoCompactor(remote, local), names);
    default:
      throw new Error(`${c.pos}: unknown command ${c.command}`);
  }
});
