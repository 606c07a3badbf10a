/** The figures a chaos run prints: pure, so the numbers are computed the same way everywhere. */

/** The p-th percentile (0–100, nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface ChaosFigures {
  label: string;
  iterations: number;
  kills: number;
  /** Milliseconds from a flow's first request to its deployment's terminal state. */
  timesToTerminal: number[];
  deliveriesSent: number;
  deliveriesAcknowledged: number;
  deliveriesApplied: number;
  extra?: Record<string, string | number>;
}

export function formatFigures(f: ChaosFigures): string {
  const s = (ms: number) => (Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    `chaos figures (${f.label})`,
    `  iterations ${f.iterations}, kills ${f.kills}`,
    `  time to terminal state: p50 ${s(percentile(f.timesToTerminal, 50))}, max ${s(percentile(f.timesToTerminal, 100))} over ${f.timesToTerminal.length} deployments`,
    `  webhook deliveries: sent ${f.deliveriesSent}, acknowledged ${f.deliveriesAcknowledged}, applied ${f.deliveriesApplied}`,
    ...Object.entries(f.extra ?? {}).map(([k, v]) => `  ${k}: ${v}`),
  ];
  return lines.join('\n');
}
