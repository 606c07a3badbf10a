import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES_DIR, loadPack } from './pack-loader.ts';
import { renderForApplications } from './preview.ts';
import { everyFieldTypeModule, GENERATED_AT } from './test-modules.ts';

describe('renderForApplications (preview)', () => {
  it('returns every file for every target application and writes nothing', async () => {
    const before = readdirSync(BUILTIN_TEMPLATES_DIR, { recursive: true }).length;
    const result = await renderForApplications(
      everyFieldTypeModule(),
      [
        { id: 'backend', pack: 'typescript-api' },
        { id: 'frontend', pack: 'angular' },
      ],
      (app) => loadPack(app.pack),
      GENERATED_AT,
    );
    expect(result.map((r) => [r.application, r.pack, r.files.length])).toEqual([
      ['backend', 'typescript-api', 6],
      ['frontend', 'angular', 5],
    ]);
    for (const r of result) for (const f of r.files) expect(f.content.length).toBeGreaterThan(0);
    expect(readdirSync(BUILTIN_TEMPLATES_DIR, { recursive: true }).length).toBe(before);
  });
});
