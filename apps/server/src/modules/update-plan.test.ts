import { describe, expect, it } from 'vitest';
import { defineModule } from './templates/test-modules.ts';
import { buildManifest, parseManifestText, serializeManifest } from './generation-manifest.ts';
import { changesOf, describePlan, planFiles, resolved } from './update-plan.ts';

/** The per-file merge of an update (docs/modules.md), with real `git merge-file` and `git diff`. */
const mod = defineModule({ name: 'Parts', applications: ['backend'], fields: [{ name: 'title', type: 'string' }] });
const manifestOf = (files: { path: string; content: string }[]) =>
  buildManifest({ application: 'backend', pack: { name: 'p', version: '1', origin: 'built-in' }, versions: [{ module: mod, savedAt: new Date('2024-01-15T10:30:00Z') }], files });
const buf = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));

describe('planFiles', () => {
  const base = [
    { path: 'a.ts', content: 'one\ntwo\nthree\nfour\nfive\n' },
    { path: 'gone.ts', content: 'old\n' },
    { path: 'gone-edited.ts', content: 'old\n' },
    { path: 'deleted.ts', content: 'x\n' },
    { path: 'same.ts', content: 's\n' },
  ];
  const theirs = [
    { path: 'a.ts', content: 'one\nTWO\nthree\nfour\nfive\n' },
    { path: 'deleted.ts', content: 'x changed\n' },
    { path: 'same.ts', content: 's\n' },
    { path: 'new.ts', content: 'n\n' },
    { path: 'untracked.ts', content: 'generated\n' },
  ];
  const manifest = manifestOf(base);

  it('merges edits, deletes what is no longer generated, and names every conflict', async () => {
    const branch = buf({
      'a.ts': 'one\ntwo\nthree\nfour\nFIVE by hand\n',
      'gone.ts': 'old\n',
      'gone-edited.ts': 'old, edited\n',
      'same.ts': 's edited\n',
      'untracked.ts': 'mine\n',
    });
    const plan = await planFiles({ theirs, base, manifest, branch });
    const by = Object.fromEntries(plan.map((f) => [f.path, f]));
    expect(by['a.ts']).toMatchObject({ status: 'changed', edited: true, result: 'one\nTWO\nthree\nfour\nFIVE by hand\n' });
    expect(by['gone.ts']).toMatchObject({ status: 'deleted', edited: false, result: null });
    expect(by['gone-edited.ts']).toMatchObject({ status: 'conflict', conflict: 'edited_removed' });
    expect(by['deleted.ts']).toMatchObject({ status: 'conflict', conflict: 'removed_changed' });
    expect(by['same.ts']).toMatchObject({ status: 'unchanged', edited: true, result: 's edited\n' });
    expect(by['new.ts']).toMatchObject({ status: 'created', edited: false });
    expect(by['untracked.ts']).toMatchObject({ status: 'conflict', conflict: 'untracked' });
    expect(by['untracked.ts']!.result).toContain('<<<<<<< branch (your edits)\nmine\n=======\ngenerated\n>>>>>>> update (new render)');

    expect(resolved(by['gone-edited.ts']!, 'theirs')).toBeNull();
    expect(resolved(by['deleted.ts']!, 'theirs')).toBe('x changed\n');
    expect(resolved(by['deleted.ts']!, 'markers')).toBeNull();
    const theirsWins = changesOf(plan, 'theirs');
    expect(theirsWins.deletes.sort()).toEqual(['gone-edited.ts', 'gone.ts']);
    expect(theirsWins.write.map((f) => f.path).sort()).toEqual(['a.ts', 'deleted.ts', 'new.ts', 'untracked.ts']);
    const oursWins = changesOf(plan, 'ours');
    expect(oursWins.deletes).toEqual(['gone.ts']);
    expect(oursWins.write.map((f) => f.path).sort()).toEqual(['a.ts', 'new.ts']);

    const shown = Object.fromEntries((await describePlan(plan)).map((f) => [f.path, f]));
    expect(shown['a.ts']!.diff).toMatch(/^--- a\/a\.ts\n\+\+\+ b\/a\.ts\n@@ .* @@\n one\n-two\n\+TWO\n/m);
    expect(shown['same.ts']!.diff).toBe('');
    expect(shown['new.ts']!.diff).toContain('--- /dev/null\n+++ b/new.ts');
    expect(shown['gone.ts']!.diff).toContain('--- a/gone.ts\n+++ /dev/null');
    expect(shown['untracked.ts']!.diff).toContain('+<<<<<<< branch (your edits)');
  });

  it('a conflict where both sides change the same line', async () => {
    // Line two changed on both sides; line five only on the branch, which every resolution keeps.
    const plan = await planFiles({ theirs, base, manifest, branch: buf({ 'a.ts': 'one\ntwo by hand\nthree\nfour\nFIVE\n' }) });
    const a = plan.find((f) => f.path === 'a.ts')!;
    expect(a).toMatchObject({ status: 'conflict', conflict: 'content' });
    expect(resolved(a, 'ours')).toBe('one\ntwo by hand\nthree\nfour\nFIVE\n');
    expect(resolved(a, 'theirs')).toBe('one\nTWO\nthree\nfour\nFIVE\n');
    expect(resolved(a, 'markers')).toBe('one\n<<<<<<< branch (your edits)\ntwo by hand\n=======\nTWO\n>>>>>>> update (new render)\nthree\nfour\nFIVE\n');
  });

  it('without a manifest, the new render replaces the files (no merge, no conflict)', async () => {
    const plan = await planFiles({ theirs, base: null, manifest: null, branch: buf({ 'a.ts': 'hand\n', 'gone.ts': 'old\n' }) });
    expect(plan.find((f) => f.path === 'a.ts')).toMatchObject({ status: 'changed', edited: false, result: 'one\nTWO\nthree\nfour\nfive\n' });
    expect(plan.some((f) => f.path === 'gone.ts')).toBe(false);
    expect(plan.some((f) => f.status === 'conflict')).toBe(false);
  });
});

describe('the generation manifest', () => {
  it('round-trips: parsed, it serializes to the same bytes; a broken one is refused', () => {
    const text = serializeManifest(manifestOf([{ path: 'b.ts', content: 'b\n' }, { path: 'a.ts', content: 'a\n' }]));
    const m = parseManifestText(text, 'm.json');
    expect(m.files.map((f) => f.path)).toEqual(['a.ts', 'b.ts']);
    expect(m.versions[0]!.savedAt.toISOString()).toBe('2024-01-15T10:30:00.000Z');
    expect(serializeManifest(m)).toBe(text);
    expect(() => parseManifestText('{', 'm.json')).toThrow(/not valid JSON/);
    expect(() => parseManifestText(text.replace(/"sha256": "[0-9a-f]+"/, '"sha256": "nope"'), 'm.json')).toThrow(/not a generation manifest/);
    expect(() => parseManifestText(text.replace('"name": "Parts"', '"name": ""'), 'm.json')).toThrow(/not a module definition/);
    for (const bad of ['../x.ts', '.git/config', '/etc/passwd', 'src//a.ts']) {
      expect(() => parseManifestText(text.replace('"path": "a.ts"', `"path": ${JSON.stringify(bad)}`), 'm.json'), bad).toThrow(/no file path in the repository/);
    }
  });
});
