// Where the shared conformance corpus lives, relative to the repository root (../shared/corpus),
// and whether it is present. Corpus-wide tests use `describe.runIf(hasCorpus)`.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the corpus folder (may not exist). */
export const corpusDir: string = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** True when the corpus folder is present. */
export const hasCorpus: boolean = existsSync(corpusDir);

/** Absolute path of a corpus file given its corpus-relative path (as in MANIFEST.tsv). */
export function corpusFile(relative: string): string {
  return join(corpusDir, relative);
}

/** Corpus-relative paths of every file whose name matches `pattern`, sorted; [] without the corpus. */
export function corpusFiles(pattern: RegExp): string[] {
  if (!hasCorpus) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(corpusDir, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(corpusDir, child)).isDirectory()) walk(child);
      else if (pattern.test(name)) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** Absolute path of the repository's fixtures folder. */
export const fixturesDir: string = fileURLToPath(new URL('../../fixtures/', import.meta.url));
