import { ChangeDetectionStrategy, Component, computed, effect, input, signal } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import { MatTooltipModule } from '@angular/material/tooltip';
import type { ApplicationUpdatePreview, ConflictResolution, FileChange, ModuleUpdatePreview } from '@slipway/contracts';
import { DiffViewComponent } from './diff-view.component';
import { CONFLICT_KIND_TEXT, fileTree, resolutionLabel } from './update-diff';

interface Selected {
  application: string;
  path: string;
}

/**
 * The update preview of a module being edited (`POST /api/admin/modules/{slug}/preview`): per
 * application its notes and a file tree with a status badge per file (created, changed, unchanged,
 * deleted, conflict) and an "edited by hand" mark; the selected file's unified diff beside it.
 */
@Component({
  selector: 'app-update-preview',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatIconModule, MatTooltipModule, DiffViewComponent],
  template: `
    <p class="summary" data-testid="update-summary">
      @for (s of summary(); track s.status) {
        <span class="badge {{ s.status }}">{{ s.count }} {{ s.status }}</span>
      }
      @if (edited()) { <span class="edited-count">{{ edited() }} edited by hand</span> }
    </p>
    @if (preview().conflicts > 0) {
      <p class="resolution" data-testid="update-resolution">
        <mat-icon aria-hidden="true">{{ resolution() ? 'rule' : 'warning' }}</mat-icon>
        @if (resolution(); as r) {
          {{ preview().conflicts }} conflicting file{{ preview().conflicts === 1 ? '' : 's' }}: chosen <strong>{{ label(r) }}</strong>.
        } @else {
          {{ preview().conflicts }} conflicting file{{ preview().conflicts === 1 ? '' : 's' }}: saving asks what to do with {{ preview().conflicts === 1 ? 'it' : 'them' }}; nothing is pushed until you choose.
        }
      </p>
    }
    @if (warnings().length) {
      <ul class="warnings" role="alert" data-testid="update-warnings">
        @for (w of warnings(); track $index) { <li><mat-icon aria-hidden="true">report</mat-icon> {{ w }}</li> }
      </ul>
    }
    <div class="layout">
      <nav class="tree" aria-label="Files of the update">
        @for (a of preview().applications; track a.application) {
          <section class="app" [attr.data-application]="a.application">
            <h3>{{ a.application }} <span class="hint">· {{ a.pack }} {{ a.pack_version }} · <code>{{ a.branch }}</code></span></h3>
            @if (a.notes.length) {
              <ul class="notes" data-testid="update-notes">@for (n of a.notes; track $index) { <li>{{ n }}</li> }</ul>
            }
            <ul class="rows" role="list">
              @for (r of trees().get(a.application); track r.key) {
                @if (r.kind === 'dir') {
                  <li class="dir" [style.padding-left.px]="8 + r.depth * 14"><mat-icon aria-hidden="true">folder</mat-icon>{{ r.name }}</li>
                } @else {
                  <li [style.padding-left.px]="8 + r.depth * 14">
                    <button type="button" class="file" [class.selected]="isSelected(a.application, r.file.path)"
                            [attr.aria-pressed]="isSelected(a.application, r.file.path)" (click)="select(a.application, r.file.path)"
                            [attr.data-path]="r.file.path" [attr.data-status]="r.file.status">
                      <span class="name">{{ r.name }}</span>
                      @if (r.file.edited) {
                        <mat-icon class="edited" data-testid="edited-mark" matTooltip="Edited by hand on the branch" aria-label="edited by hand">edit_note</mat-icon>
                      }
                      <span class="badge {{ r.file.status }}">{{ r.file.status }}</span>
                    </button>
                  </li>
                }
              } @empty {
                <li class="hint">No files.</li>
              }
            </ul>
          </section>
        }
      </nav>
      <section class="detail" aria-live="polite" data-testid="update-file">
        @if (selectedFile(); as s) {
          <h3><code>{{ s.file.path }}</code>&nbsp;<span class="badge {{ s.file.status }}">{{ s.file.status }}</span>
            @if (s.file.edited) { &nbsp;<span class="edited-text">edited by hand on the branch</span> }</h3>
          <p class="hint">{{ explain(s.app, s.file) }}</p>
          <app-diff-view [file]="s.file" />
        } @else {
          <p class="hint">Choose a file to see its diff.</p>
        }
      </section>
    </div>
  `,
  styles: `
    :host { display: block; }
    h3 { font: var(--mat-sys-title-small); margin: 12px 0 6px; overflow-wrap: anywhere; }
    .hint { color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    .summary { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0 0 8px; }
    .edited-count, .edited-text { font: var(--mat-sys-body-small); color: #8a4b00; }
    .resolution { display: flex; gap: 6px; align-items: center; margin: 0 0 8px; }
    .warnings { list-style: none; padding: 8px 12px; margin: 0 0 8px; border-radius: 8px;
      background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container);
      li { display: flex; gap: 6px; align-items: center; } }
    .notes { margin: 0 0 6px; padding-left: 18px; font: var(--mat-sys-body-small); }
    .layout { display: grid; grid-template-columns: minmax(220px, 320px) minmax(0, 1fr); gap: 16px; align-items: start; }
    @media (max-width: 760px) { .layout { grid-template-columns: minmax(0, 1fr); } }
    .rows { list-style: none; margin: 0; padding: 0; }
    .dir { display: flex; align-items: center; gap: 4px; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant);
      overflow-wrap: anywhere; mat-icon { font-size: 16px; width: 16px; height: 16px; } }
    .file { display: flex; align-items: center; gap: 6px; width: 100%; border: 0; background: none; padding: 3px 6px; border-radius: 6px;
      cursor: pointer; text-align: left; font: var(--mat-sys-body-small); color: inherit; }
    .file:hover { background: var(--mat-sys-surface-container-high); }
    .file.selected { background: var(--mat-sys-secondary-container); }
    .file .name { flex: 1; overflow-wrap: anywhere; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, monospace; }
    .edited { font-size: 18px; width: 18px; height: 18px; color: #8a4b00; }
    .badge { font: var(--mat-sys-label-small); padding: 1px 6px; border-radius: 10px; white-space: nowrap; border: 1px solid transparent; }
    .badge.created { background: #dafbe1; color: #116329; }
    .badge.changed { background: #ddf4ff; color: #0550ae; }
    .badge.unchanged { background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface-variant); }
    .badge.deleted { background: #ffebe9; color: #a40e26; }
    .badge.conflict { background: #fff1c2; color: #7d4e00; border-color: #d4a72c; }
  `,
})
export class UpdatePreviewComponent {
  readonly preview = input.required<ModuleUpdatePreview>();
  /** What the person chose for the conflicts, said above the files; null: not chosen yet. */
  readonly resolution = input<ConflictResolution | null>(null);

  private readonly selected = signal<Selected | null>(null);
  protected readonly label = resolutionLabel;

  protected readonly trees = computed(() => new Map(this.preview().applications.map((a) => [a.application, fileTree(a.files)])));
  protected readonly summary = computed(() => {
    const counts = new Map<string, number>();
    for (const a of this.preview().applications) for (const f of a.files) counts.set(f.status, (counts.get(f.status) ?? 0) + 1);
    return (['conflict', 'created', 'changed', 'deleted', 'unchanged'] as const)
      .filter((s) => counts.get(s))
      .map((status) => ({ status, count: counts.get(status)! }));
  });
  protected readonly edited = computed(() => this.preview().applications.reduce((n, a) => n + a.files.filter((f) => f.edited).length, 0));
  /** Data-loss warnings of schema evolution, when the preview carries them (top level or per application). */
  protected readonly warnings = computed(() => {
    const p = this.preview() as ModuleUpdatePreview & { warnings?: unknown };
    const own = Array.isArray(p.warnings) ? p.warnings : [];
    const perApp = p.applications.flatMap((a) => {
      const w = (a as ApplicationUpdatePreview & { warnings?: unknown }).warnings;
      return Array.isArray(w) ? w.map((x) => `${a.application}: ${x}`) : [];
    });
    return [...own, ...perApp].filter((w): w is string => typeof w === 'string');
  });
  protected readonly selectedFile = computed(() => {
    const s = this.selected();
    const app = s && this.preview().applications.find((a) => a.application === s.application);
    const file = app?.files.find((f) => f.path === s!.path);
    return app && file ? { app, file } : null;
  });

  constructor() {
    // A new preview selects its most telling file: a conflict, else a hand-edited change, else any change.
    effect(() => {
      const p = this.preview();
      if (this.selectedFile()) return;
      const all = p.applications.flatMap((a) => a.files.map((file) => ({ application: a.application, file })));
      const first =
        all.find((x) => x.file.status === 'conflict') ??
        all.find((x) => x.file.edited && x.file.status !== 'unchanged') ??
        all.find((x) => x.file.status !== 'unchanged') ??
        all[0];
      this.selected.set(first ? { application: first.application, path: first.file.path } : null);
    });
  }

  protected select(application: string, path: string): void {
    this.selected.set({ application, path });
  }

  protected isSelected(application: string, path: string): boolean {
    const s = this.selected();
    return !!s && s.application === application && s.path === path;
  }

  protected explain(app: ApplicationUpdatePreview, f: FileChange): string {
    switch (f.status) {
      case 'created':
        return `New: the update adds this file to ${app.branch}.`;
      case 'changed':
        return f.edited ? 'Changed; your edits on lines the update does not touch are kept.' : 'Changed by the update.';
      case 'unchanged':
        return f.edited ? 'Kept as edited: the update does not change it.' : 'Unchanged.';
      case 'deleted':
        return 'Deleted: the module no longer generates this file.';
      case 'conflict':
        return `Conflict: ${CONFLICT_KIND_TEXT[f.conflict ?? 'content']}.`;
    }
  }
}
