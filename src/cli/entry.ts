// The program: what bin/synack runs (bundled into dist/bundle/synack.js by src/build/bundle.ts),
// and what `node dist/cli/entry.js` runs unbundled (the benchmark's --prof, for readable names).

import { runMain } from './main.js';

runMain();
