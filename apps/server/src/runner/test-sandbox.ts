import { Sandbox, type SandboxLimits } from './sandbox.ts';

/** Limits small enough for tests to hit, large enough for node. */
export const TEST_LIMITS: SandboxLimits = {
  memoryBytes: 1024 * 1024 * 1024,
  cpuSeconds: 120,
  processes: 1024,
  fileSizeBytes: 64 * 1024 * 1024,
  openFiles: 1024,
  tmpBytes: 64 * 1024 * 1024,
};

/** The real bwrap sandbox tests run repository code in, hiding `hidden` (a test's data folder). */
export function testSandbox(hidden: string[], limits: Partial<SandboxLimits> = {}): Sandbox {
  return new Sandbox({ mode: 'bwrap', uid: 65534, limits: { ...TEST_LIMITS, ...limits }, hidden });
}
