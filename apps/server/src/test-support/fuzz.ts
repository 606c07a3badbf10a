/**
 * How many cases a fuzz suite (`*.fuzz.test.ts`) runs. `npm test` keeps the count small so the
 * suite fits CI's budget; `npm run fuzz` raises it through SLIPWAY_FUZZ_RUNS.
 */
export function fuzzRuns(defaultRuns: number): number {
  const n = Number(process.env.SLIPWAY_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}
