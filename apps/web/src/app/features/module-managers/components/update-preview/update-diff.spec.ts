import { HttpErrorResponse } from '@angular/common/http';
import type { FileChange } from '@slipway/contracts';
import { conflictsOf, fileTree, languageOf, parseUnifiedDiff, previewConflicts } from './update-diff';

const file = (path: string, status: FileChange['status'] = 'changed', edited = false): FileChange => ({
  path,
  status,
  edited,
  conflict: status === 'conflict' ? 'content' : null,
  diff: '',
  truncated: false,
});

describe('update diff helpers (issue 13, item 4)', () => {
  it('splits a unified diff into numbered added, removed and context lines', () => {
    const diff = [
      'diff --git a/src/x.ts b/src/x.ts',
      '--- a/src/x.ts',
      '+++ b/src/x.ts',
      '@@ -3,3 +3,4 @@ export class X {',
      ' keep();',
      '-old();',
      '+fresh();',
      '+more();',
      ' tail();',
      '\\ No newline at end of file',
      '',
    ].join('\n');
    const lines = parseUnifiedDiff(diff);
    expect(lines.map((l) => l.kind)).toEqual(['meta', 'meta', 'meta', 'hunk', 'ctx', 'del', 'add', 'add', 'ctx', 'meta']);
    expect(lines.slice(4, 9).map((l) => [l.oldNo, l.newNo, l.text])).toEqual([
      [3, 3, 'keep();'],
      [4, null, 'old();'],
      [null, 4, 'fresh();'],
      [null, 5, 'more();'],
      [5, 6, 'tail();'],
    ]);
    // A header line that looks like a removal or an addition is not one.
    expect(lines[1]!.kind).toBe('meta');
    expect(parseUnifiedDiff('')).toEqual([]);
  });

  it('knows the language of the files the packs generate', () => {
    expect(languageOf('src/modules/products/products.routes.ts')).toBe('typescript');
    expect(languageOf('app/Models/Product.php')).toBe('php');
    expect(languageOf('.slipway/pipeline.yaml')).toBe('yaml');
    expect(languageOf('package.json')).toBe('json');
    expect(languageOf('src/app/products/products.component.html')).toBe('xml');
    expect(languageOf('README')).toBeNull();
  });

  it('builds a tree: folders first, single-folder chains joined, files under them with their depth', () => {
    const rows = fileTree([
      file('src/modules/products/products.routes.ts'),
      file('src/modules/products/products.store.ts', 'conflict'),
      file('migrations/001-products.ts', 'unchanged', true),
      file('src/modules/products/dto/create.ts', 'created'),
      file('README.md', 'deleted'),
    ]);
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.name}`)).toEqual([
      'migrations/',
      '  001-products.ts',
      'src/modules/products/',
      '  dto/',
      '    create.ts',
      '  products.routes.ts',
      '  products.store.ts',
      'README.md',
    ]);
    expect(rows.filter((r) => r.kind === 'file').map((r) => r.key)).toContain('src/modules/products/dto/create.ts');
  });

  it("reads the conflicts of an update's 409, and of a preview", () => {
    const conflicts = [{ application: 'backend', path: 'src/x.ts', kind: 'content' }];
    const err = new HttpErrorResponse({ status: 409, error: { error: 'conflict', message: '1 file conflicts', conflicts } });
    expect(conflictsOf(err)).toEqual(conflicts);
    // A 409 without the list (a refused base branch) is not a conflict to choose about.
    expect(conflictsOf(new HttpErrorResponse({ status: 409, error: { error: 'base_branch', message: 'no' } }))).toBeNull();
    expect(conflictsOf(new HttpErrorResponse({ status: 422, error: { conflicts } }))).toBeNull();
    expect(previewConflicts([{ application: 'backend', files: [file('a.ts'), file('b.ts', 'conflict')] }])).toEqual([
      { application: 'backend', path: 'b.ts', kind: 'content' },
    ]);
  });
});
