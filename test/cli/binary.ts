// Runs the real built command line (`bin/synack`) as a child process, the way a shell pipeline
// or a CI job does. `ensureBuilt()` compiles src/ to dist/ and bundles it once (under a lock:
// test files run in parallel workers) when the bundle is missing or older than the sources.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoDir: string = fileURLToPath(new URL('../../', import.meta.url));
export const binPath: string = join(repoDir, 'bin', 'synack');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds dist/ if it is missing or stale. Type errors elsewhere do not stop tsc from emitting. */
export function ensureBuilt(): void {
  // The bundle bin/synack runs is built last (npm run build: tsc, then src/build/bundle.ts).
  const marker = join(repoDir, 'dist', 'bundle', 'synack.js');
  const stale = (): boolean => !existsSync(marker) || statSync(marker).mtimeMs < newestMtime(join(repoDir, 'src'));
  if (!stale()) return;
  const lock = join(repoDir, 'dist', '.test-build-lock');
  mkdirSync(join(repoDir, 'dist'), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 600) throw new Error('timed out waiting for another test worker to build dist/');
      sleepSync(100);
    }
  }
  try {
    if (stale()) {
      spawnSync(process.execPath, [join(repoDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoDir });
      spawnSync(process.execPath, [join(repoDir, 'dist', 'build', 'bundle.js')], { cwd: repoDir });
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes for stdin (closed afterwards); stdin is empty otherwise. */
  stdin?: Uint8Array;
  /** Environment on top of a clean one (no NO_COLOR/FORCE_COLOR inherited from the test runner). */
  env?: Record<string, string>;
}

/** A clean environment: PATH only, so colour and CI variables of the runner cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra };
}

export function start(args: string[], opts: RunOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [binPath, ...args], { cwd: repoDir, env: cleanEnv(opts.env) });
}

/** Runs synack to completion and collects its output. */
export function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const child = start(args, opts);
  return collect(child, opts.stdin);
}

export function collect(child: ChildProcessWithoutNullStreams, stdin?: Uint8Array): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Reads the first line of output and closes the pipe, as `| head -1` does; the exit status and
 * stderr of the child once it has ended.
 */
export async function headOne(child: ChildProcessWithoutNullStreams): Promise<{ first: string; code: number | null; stderr: string }> {
  let first = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (first === '') {
      first = d.split('\n')[0]!;
      child.stdout.destroy();
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { first, code, stderr };
}

/** A fixture path relative to the repository (as a user would type it from the repo root). */
export function fixture(rel: string): string {
  return join('fixtures', rel);
}
