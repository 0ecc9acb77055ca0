// Colour is decided once per run: --color/--no-color, then NO_COLOR, then FORCE_COLOR, then
// whether stdout is a terminal (https://no-color.org; chalk 5 itself ignores NO_COLOR).

import { Chalk, type ChalkInstance } from 'chalk';

export function colorLevel(
  flag: boolean | undefined,
  env: Record<string, string | undefined>,
  isTTY: boolean,
): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (flag === true) return 2;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  return isTTY ? 1 : 0;
}

export function makeChalk(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}
