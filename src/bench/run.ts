// Runs one measured command as a child process: wall time from spawn to exit, peak resident set
// size (GNU time's %M, else the kernel's VmHWM polled from /proc), stdout to /dev/null, the
// first stderr line kept for a failure. No child outlives the bench: each runs in its own
// process group, which is killed on timeout, SIGINT, SIGTERM and exit.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  ok: boolean;
  wallMs: number;
  /** Peak RSS in KiB, or null when it could not be read. */
  peakRssKib: number | null;
  /** First non-empty stderr line of a failed run (or why it was stopped). */
  error: string | null;
}

export interface RunOptions {
  /** Kill the run after this long (default 30 min). */
  timeoutMs?: number;
  /** Where GNU time is; null to poll /proc instead. Default: /usr/bin/time when present. */
  timeBinary?: string | null;
}

const GNU_TIME = '/usr/bin/time';
const live = new Set<number>();
let handlersInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      for (const pid of live) killGroup(pid);
      process.exit(130);
    });
  }
}

/** True when GNU time (the `time` apt package) is installed where the bench looks for it. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** Runs `argv` once with stdout discarded and returns its timing and peak memory. */
export function runMeasured(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  installHandlers();
  const timeBinary = opts.timeBinary === undefined ? (hasGnuTime() ? GNU_TIME : null) : opts.timeBinary;
  const tmp = timeBinary ? mkdtempSync(join(tmpdir(), 'synack-bench-time-')) : null;
  const timeFile = tmp ? join(tmp, 'rss') : null;
  const full = timeBinary && timeFile ? [timeBinary, '-f', '%M', '-o', timeFile, ...argv] : [...argv];
  const devNull = openSync('/dev/null', 'w');

  return new Promise<RunResult>((resolve) => {
    let stderr = '';
    let polledHwm: number | null = null;
    let stopped: string | null = null;
    const start = process.hrtime.bigint();
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', devNull, 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);

    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length < 65536) stderr += s;
    });
    const poll =
      timeBinary === null && pid !== undefined
        ? setInterval(() => {
            const hwm = readVmHwm(pid);
            if (hwm !== null) polledHwm = Math.max(polledHwm ?? 0, hwm);
          }, 20)
        : null;
    const timer = setTimeout(() => {
      stopped = `timed out after ${Math.round((opts.timeoutMs ?? 1_800_000) / 1000)} s`;
      if (pid !== undefined) killGroup(pid);
    }, opts.timeoutMs ?? 1_800_000);

    const done = (code: number | null, error: string | null): void => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      if (pid !== undefined) {
        killGroup(pid); // anything the command left behind in its group
        live.delete(pid);
      }
      closeSync(devNull);
      let rss = polledHwm;
      if (timeFile && existsSync(timeFile)) {
        // GNU time writes "Command exited with non-zero status N" before the figure on failure.
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const kib = Number(lines[lines.length - 1]);
        if (Number.isFinite(kib) && kib > 0) rss = kib;
      }
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      const ok = code === 0 && error === null && stopped === null;
      resolve({
        ok,
        wallMs,
        peakRssKib: rss,
        error: ok ? null : (stopped ?? error ?? firstLine(stderr) ?? `exit status ${code}`),
      });
    };
    child.on('error', (e) => done(null, e.message));
    child.on('close', (code) => done(code, null));
  });
}

/** First stderr line that says something (tshark's root warning says nothing about the failure). */
function firstLine(stderr: string): string | null {
  for (const line of stderr.split('\n')) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('Running as user "root"')) return t;
  }
  return null;
}

/** Peak RSS so far (VmHWM, KiB) of a live process, or null once it has gone. */
function readVmHwm(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const WARM_CHUNK = 1 << 20;

/**
 * Reads each file through once, untimed, so that the run after it reads them from the page
 * cache. A host that pages out memory left idle (Linux DAMON reclaim: on the machine the
 * README's figures come from, whatever went untouched for 60 s) otherwise evicts a capture
 * between the commands that read it: in a round of the large bench the pcapng file is read once
 * every couple of minutes, the pcap one every few seconds, and `flows` on pcapng measured 1.24
 * times `flows` on pcap; with the files read just before each run, 1.08 to 1.14.
 */
export function warmPageCache(files: readonly string[]): void {
  const buf = Buffer.allocUnsafe(WARM_CHUNK);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buf, 0, WARM_CHUNK, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}
