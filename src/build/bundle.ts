// `npm run build`, after tsc: bundles the compiled CLI and its two worker threads, each with
// every module it imports (commander, chalk and cli-table3 included), into one file apiece in
// dist/bundle/. Node.js resolves, reads and compiles each ES module separately: the ~100 files
// of dist/cli/main.js and its packages took about 80 ms of a 200 ms run on a small capture
// (hyperfine, `flows fixtures/kernel/client-close.pcap`, 30 runs: 198 ms unbundled, 140 ms
// bundled, on a machine where `node -e 0` takes 82 ms), and each worker thread pays it again.
//
// The workers keep their file names: parallel.ts and shards.ts start them as
// `new URL('./input-worker.js', import.meta.url)`, next to the code that asks.

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../', import.meta.url));

await build({
  entryPoints: {
    synack: `${dist}cli/entry.js`,
    'input-worker': `${dist}cli/input-worker.js`,
    'shard-worker': `${dist}cli/shard-worker.js`,
  },
  outdir: `${dist}bundle`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // cli-table3 and its dependencies are CommonJS: their require() of Node's own modules needs
  // a real require in an ES module.
  banner: { js: "import { createRequire as synackCreateRequire } from 'node:module';\nconst require = synackCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
