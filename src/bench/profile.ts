// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and ranks functions by self time.
// Format: Chrome DevTools Protocol Profiler.Profile — nodes with callFrames, `samples` (node id
// per tick) and `timeDeltas` (µs between consecutive samples).

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name (file:line)`; V8's pseudo-frames keep their names, e.g. "(garbage collector)". */
  label: string;
  ms: number;
  /** Share of the profile's total sampled time, 0..1. */
  share: number;
}

/** The `n` functions with the most self time; identical frames in different nodes are merged. */
export function topSelfTime(profile: CpuProfile, n = 15): SelfTime[] {
  const labelOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const file = url === '' ? '' : url.slice(url.lastIndexOf('/') + 1);
    labelOf.set(node.id, file === '' ? name : `${name} (${file}:${lineNumber + 1})`);
  }
  const micros = new Map<string, number>();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one (the last: until the profile ends).
    const dt =
      i + 1 < samples.length ? timeDeltas[i + 1]! : Math.max(0, profile.endTime - (profile.startTime + sum(timeDeltas)));
    const label = labelOf.get(samples[i]!) ?? '(unknown)';
    micros.set(label, (micros.get(label) ?? 0) + dt);
    total += dt;
  }
  return [...micros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, us]) => ({ label, ms: us / 1000, share: total > 0 ? us / total : 0 }));
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
