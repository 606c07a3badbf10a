import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatSnackBar } from '@angular/material/snack-bar';
import { provideRouter } from '@angular/router';
import type { ModuleUpdatePreview } from '@slipway/contracts';
import { deploymentPayload } from '../../../../../testing/deployments';
import { DeploymentStatusDialog } from '../../dialogs/deployment-status/deployment-status-dialog.service';
import { ModuleManagerCreateUpdatePageComponent } from './module-manager-create-update-page.component';
import { flushOrdersEditor } from '../../../../../testing/module-editor';

/**
 * Issue 13, items 2 and 4: editing a module previews the update as a diff (file tree with statuses,
 * hand edits marked, the selected file's diff), and a save that conflicts with edits on the branch
 * shows the conflicts and the four choices before anything is pushed; the choice goes as onConflict.
 */
describe('ModuleManagerCreateUpdatePageComponent: updating a module', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    Element.prototype.scrollIntoView = vi.fn();
  });

  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    await new Promise((r) => setTimeout(r));
    f.detectChanges();
    await f.whenStable();
  };

  async function editOrders() {
    TestBed.configureTestingModule({
      imports: [ModuleManagerCreateUpdatePageComponent],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(ModuleManagerCreateUpdatePageComponent);
    fixture.componentRef.setInput('slug', 'orders');
    fixture.detectChanges();
    flushOrdersEditor(http, 'main');
    await settle(fixture);
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  const ROUTES_DIFF = [
    'diff --git a/src/modules/orders/orders.routes.ts b/src/modules/orders/orders.routes.ts',
    '--- a/src/modules/orders/orders.routes.ts',
    '+++ b/src/modules/orders/orders.routes.ts',
    '@@ -1,3 +1,4 @@',
    " import { x } from './x';",
    '-const fields = [\'total\'];',
    "+const fields = ['total', 'note'];",
    '+// hand edit kept',
    ' export default fields;',
  ].join('\n');

  function preview(over: { conflict?: boolean } = {}): ModuleUpdatePreview {
    return {
      conflicts: over.conflict ? 1 : 0,
      applications: [
        {
          application: 'backend',
          pack: 'typescript-api',
          pack_version: '1.1.0',
          base_pack_version: '1.0.0',
          branch: 'module/orders',
          head: 'abc1234abc1234abc1234abc1234abc1234abc12',
          manifest_path: '.slipway/modules/orders.json',
          notes: ['The pack changed since the previous render: 1.0.0 → 1.1.0'],
          files: [
            { path: 'src/modules/orders/orders.routes.ts', status: 'changed', edited: true, conflict: null, diff: ROUTES_DIFF, truncated: false },
            { path: 'src/modules/orders/orders.store.ts', status: 'unchanged', edited: false, conflict: null, diff: '', truncated: false },
            over.conflict
              ? { path: 'src/modules/orders/orders.schema.ts', status: 'conflict', edited: true, conflict: 'content', diff: '@@ -1 +1,5 @@\n-a\n+<<<<<<< ours\n+a\n+=======\n+b\n+>>>>>>> theirs\n', truncated: false }
              : { path: 'migrations/002-orders-note.ts', status: 'created', edited: false, conflict: null, diff: '@@ -0,0 +1 @@\n+export const up = 1;\n', truncated: false },
          ],
        },
      ],
    };
  }

  const addNote = async (fixture: Awaited<ReturnType<typeof editOrders>>['fixture'], el: HTMLElement) => {
    (el.querySelector('[data-testid=add-field]') as HTMLButtonElement).click();
    await settle(fixture);
    const input = el.querySelector('[data-testid=field-name-1]') as HTMLInputElement;
    input.value = 'note';
    input.dispatchEvent(new Event('input'));
    await settle(fixture);
  };

  it('previews the update as a file tree with statuses and hand edits, and the diff of the chosen file', async () => {
    const { fixture, el } = await editOrders();
    await addNote(fixture, el);
    expect(el.querySelector('[data-testid=preview]')!.textContent).toContain('Preview the update');
    (el.querySelector('[data-testid=preview]') as HTMLButtonElement).click();
    const req = http.expectOne('/api/admin/modules/orders/preview');
    expect(req.request.method).toBe('POST');
    expect(req.request.body.fields.map((f: { name: string }) => f.name)).toEqual(['total', 'note']);
    expect(req.request.body.onConflict).toBeUndefined();
    req.flush(preview());
    await settle(fixture);
    http.expectNone('/api/admin/modules/preview');

    const section = el.querySelector('[data-testid=update-preview]') as HTMLElement;
    expect(section.querySelector('[data-testid=update-notes]')!.textContent).toContain('The pack changed');
    expect(section.querySelector('[data-testid=update-summary]')!.textContent).toMatch(/1 created.*1 changed.*1 unchanged.*1 edited by hand/s);
    // The tree: folders, then files with their status badges; the edited file is marked.
    const files = [...section.querySelectorAll<HTMLButtonElement>('button.file')];
    expect(files.map((b) => [b.dataset['path'], b.dataset['status']])).toEqual([
      ['migrations/002-orders-note.ts', 'created'],
      ['src/modules/orders/orders.routes.ts', 'changed'],
      ['src/modules/orders/orders.store.ts', 'unchanged'],
    ]);
    expect(section.querySelector('.dir')!.textContent).toContain('migrations/');
    const routes = files[1]!;
    expect(routes.querySelector('[data-testid=edited-mark]')).not.toBeNull();
    expect(files[0]!.querySelector('[data-testid=edited-mark]')).toBeNull();
    // The hand-edited change is selected first, its diff coloured line by line.
    expect(routes.getAttribute('aria-pressed')).toBe('true');
    const diff = section.querySelector('[data-testid=diff]') as HTMLElement;
    expect(diff.dataset['language']).toBe('typescript');
    const kinds = [...diff.querySelectorAll<HTMLElement>('.line')].map((l) => l.dataset['kind']);
    expect(kinds).toEqual(['meta', 'meta', 'meta', 'hunk', 'ctx', 'del', 'add', 'add', 'ctx']);
    expect(diff.querySelector('.line.add')!.textContent).toContain("const fields = ['total', 'note'];");
    expect(section.querySelector('[data-testid=update-file]')!.textContent).toContain('edits on lines the update does not touch are kept');
    // Highlighting arrives with highlight.js (a lazy chunk): spans with hljs classes.
    await vi.waitFor(async () => {
      await settle(fixture);
      expect(diff.querySelector('.line.add .hljs-string')).not.toBeNull();
    });
    // Another file: the unchanged one says so instead of a diff.
    files[2]!.click();
    await settle(fixture);
    expect(section.querySelector('[data-testid=diff-empty]')!.textContent).toContain('No change');
    expect(el.querySelector('[data-testid=conflict-choices]')).toBeNull();
  });

  it('a save that conflicts answers 409: the conflicts and four choices are shown, and "Keep ours" saves again with onConflict', async () => {
    const { fixture, el } = await editOrders();
    const open = vi.spyOn(TestBed.inject(DeploymentStatusDialog), 'open').mockReturnValue(undefined as never);
    const snack = vi.spyOn(TestBed.inject(MatSnackBar), 'open');
    await addNote(fixture, el);
    (el.querySelector('[data-testid=submit]') as HTMLButtonElement).click();
    const put = http.expectOne('/api/admin/modules/orders');
    expect(put.request.method).toBe('PUT');
    expect(put.request.body.onConflict).toBeUndefined();
    put.flush(
      {
        error: 'conflict',
        message: '1 file conflicts with edits on module/orders',
        conflicts: [{ application: 'backend', path: 'src/modules/orders/orders.schema.ts', kind: 'content' }],
      },
      { status: 409, statusText: 'Conflict' },
    );
    await settle(fixture);
    // The page fetches the preview so the conflicting file's diff (with markers) is shown.
    http.expectOne('/api/admin/modules/orders/preview').flush(preview({ conflict: true }));
    await settle(fixture);

    const choices = el.querySelector('[data-testid=conflict-choices]') as HTMLElement;
    expect(choices.textContent).toContain('nothing was saved or pushed');
    expect(choices.querySelector('[data-testid=conflict-files]')!.textContent).toMatch(/backend\s*src\/modules\/orders\/orders\.schema\.ts.*change the same lines/s);
    for (const c of ['cancel', 'theirs', 'ours', 'markers']) expect(choices.querySelector(`[data-testid=conflict-${c}]`)).not.toBeNull();
    expect(choices.textContent).toContain("the branch's lines stay; the update's other changes go in");
    expect(choices.textContent).toContain('conflict markers');
    expect(el.querySelector('[data-testid=form-problem]')).toBeNull();
    // The conflict is the file shown first, with its markers.
    expect(el.querySelector('button.file[aria-pressed=true]')!.getAttribute('data-status')).toBe('conflict');
    expect([...el.querySelectorAll('[data-testid=diff] .line.marker code')].map((l) => l.textContent)).toEqual(['<<<<<<< ours', '=======', '>>>>>>> theirs']);
    expect(choices.querySelector('h2')!.textContent).toContain('1 file conflicts with edits on the branch');
    expect(el.querySelector('[data-testid=update-resolution]')!.textContent).toContain('nothing is pushed until you choose');

    const confirm = choices.querySelector('[data-testid=conflict-confirm]') as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    (choices.querySelector('[data-testid=conflict-ours] input') as HTMLInputElement).click();
    await settle(fixture);
    expect(confirm.disabled).toBe(false);
    confirm.click();
    await settle(fixture);
    const again = http.expectOne('/api/admin/modules/orders');
    expect(again.request.method).toBe('PUT');
    expect(again.request.body.onConflict).toBe('ours');
    expect(el.querySelector('[data-testid=update-resolution]')!.textContent).toContain("chosen Keep ours (the branch's files)");
    again.flush({ module: { slug: 'orders', git: { enabled: true } }, deployment: deploymentPayload({ deployment_id: '43' }), files: [], branches: [] }, { status: 202, statusText: 'Accepted' });
    await settle(fixture);
    expect(open).toHaveBeenCalledWith('43');
    expect(snack.mock.calls.map((c) => c[0])).toContainEqual(expect.stringContaining("conflicts resolved: Keep ours (the branch's files)"));
    http.verify();
  });

  it('conflicts in the preview are offered before saving; Cancel drops the update and sends nothing', async () => {
    const { fixture, el } = await editOrders();
    (el.querySelector('[data-testid=preview]') as HTMLButtonElement).click();
    http.expectOne('/api/admin/modules/orders/preview').flush(preview({ conflict: true }));
    await settle(fixture);
    const choices = el.querySelector('[data-testid=conflict-choices]') as HTMLElement;
    expect(choices).not.toBeNull();
    (choices.querySelector('[data-testid=conflict-markers] input') as HTMLInputElement).click();
    await settle(fixture);
    (choices.querySelector('[data-testid=conflict-cancel] input') as HTMLInputElement).click();
    await settle(fixture);
    const confirm = choices.querySelector('[data-testid=conflict-confirm]') as HTMLButtonElement;
    expect(confirm.textContent).toContain('Cancel the update');
    confirm.click();
    await settle(fixture);
    expect(el.querySelector('[data-testid=conflict-choices]')).toBeNull();
    http.expectNone('/api/admin/modules/orders');
    http.verify();
  });

  it('a chosen resolution goes with the next preview too, which says which was chosen', async () => {
    const { fixture, el } = await editOrders();
    (el.querySelector('[data-testid=preview]') as HTMLButtonElement).click();
    http.expectOne('/api/admin/modules/orders/preview').flush(preview({ conflict: true }));
    await settle(fixture);
    // "Commit with conflict markers" chosen, and the save fails for another reason (the repository is unreachable).
    (el.querySelector('[data-testid=conflict-markers] input') as HTMLInputElement).click();
    await settle(fixture);
    (el.querySelector('[data-testid=conflict-confirm]') as HTMLButtonElement).click();
    const put = http.expectOne('/api/admin/modules/orders');
    expect(put.request.body.onConflict).toBe('markers');
    put.flush({ error: 'git_error', message: 'backend unreachable' }, { status: 502, statusText: 'Bad Gateway' });
    await settle(fixture);
    expect(el.querySelector('[data-testid=form-problem]')!.textContent).toContain('backend unreachable');
    (el.querySelector('[data-testid=preview]') as HTMLButtonElement).click();
    const again = http.expectOne('/api/admin/modules/orders/preview');
    expect(again.request.body.onConflict).toBe('markers');
    again.flush(preview({ conflict: true }));
    await settle(fixture);
    expect(el.querySelector('[data-testid=update-resolution]')!.textContent).toContain('chosen Commit with conflict markers');
  });
});
