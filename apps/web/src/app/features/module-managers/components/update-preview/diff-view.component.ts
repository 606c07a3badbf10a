import { ChangeDetectionStrategy, Component, type ElementRef, afterRenderEffect, computed, effect, input, signal, viewChild } from '@angular/core';
import type { FileChange } from '@slipway/contracts';
import { type Highlight, loadHighlighter } from './highlight';
import { languageOf, parseUnifiedDiff } from './update-diff';

/**
 * One file's unified diff: added lines green, removed lines red, context plain, each with its line
 * numbers on both sides, and the code highlighted for its language once highlight.js has loaded
 * (plain text until then, or when it cannot load).
 */
@Component({
  selector: 'app-diff-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (!lines().length) {
      <p class="hint" data-testid="diff-empty">{{ file().status === 'unchanged' ? 'No change: the update leaves this file as it is on the branch.' : 'No diff to show.' }}</p>
    } @else {
      <div #box class="diff" role="table" [attr.aria-label]="'Diff of ' + file().path" data-testid="diff" [attr.data-language]="language() ?? 'text'">
        @for (l of lines(); track $index) {
          <div class="line {{ l.kind }}" role="row" [attr.data-kind]="l.kind" [class.marker]="isMarker(l.text)">
            @if (l.kind === 'hunk' || l.kind === 'meta') {
              <span class="text" role="cell">{{ l.text }}</span>
            } @else {
              <span class="no" role="cell" aria-hidden="true">{{ l.oldNo ?? '' }}</span>
              <span class="no" role="cell" aria-hidden="true">{{ l.newNo ?? '' }}</span>
              <span class="sign" role="cell" [attr.aria-label]="l.kind === 'add' ? 'added' : l.kind === 'del' ? 'removed' : null">{{ l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ' }}</span>
              @if (html()[$index]; as h) { <code class="text" role="cell" [innerHTML]="h"></code> }
              @else { <code class="text" role="cell">{{ l.text }}</code> }
            }
          </div>
        }
      </div>
    }
    @if (file().truncated) { <p class="hint" data-testid="diff-truncated">The diff is cut here: it is longer than the 64 KiB shown.</p> }
  `,
  styles: `
    :host { display: block; min-width: 0; }
    .hint { color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    .diff {
      font: 12px/1.5 ui-monospace, 'DejaVu Sans Mono', Menlo, monospace; overflow: auto; max-height: 520px; position: relative;
      border: 1px solid var(--mat-sys-outline-variant); border-radius: 8px; background: var(--mat-sys-surface);
    }
    .line { display: grid; grid-template-columns: 3.5em 3.5em 1.5em 1fr; min-width: max-content; }
    .line.hunk, .line.meta { display: block; padding: 2px 8px; color: var(--mat-sys-on-surface-variant); }
    .line.hunk { background: color-mix(in srgb, var(--mat-sys-primary) 10%, transparent); }
    .line.add { background: #e6ffec; }
    .line.add .no, .line.add .sign { background: #ccffd8; }
    .line.del { background: #ffebe9; }
    .line.del .no, .line.del .sign { background: #ffd7d5; }
    .line.marker .text { font-weight: 700; color: #7d4e00; }
    .line.marker { background: #fff1c2; }
    .no { text-align: right; padding: 0 6px; color: var(--mat-sys-on-surface-variant); user-select: none; }
    .sign { text-align: center; user-select: none; }
    .text { white-space: pre; font: inherit; padding-right: 12px; }
    /* highlight.js classes (a light theme, readable on the green and red lines) */
    .text ::ng-deep {
      .hljs-keyword, .hljs-selector-tag, .hljs-built_in, .hljs-meta .hljs-keyword { color: #cf222e; }
      .hljs-string, .hljs-regexp, .hljs-attr .hljs-string { color: #0a3069; }
      .hljs-number, .hljs-literal, .hljs-variable, .hljs-template-variable { color: #0550ae; }
      .hljs-comment, .hljs-quote { color: #6e7781; font-style: italic; }
      .hljs-title, .hljs-title.class_, .hljs-title.function_, .hljs-section { color: #8250df; }
      .hljs-attr, .hljs-attribute, .hljs-property, .hljs-name, .hljs-tag { color: #116329; }
      .hljs-type, .hljs-params { color: #953800; }
      .hljs-meta { color: #6e7781; }
    }
  `,
})
export class DiffViewComponent {
  readonly file = input.required<FileChange>();

  protected readonly lines = computed(() => parseUnifiedDiff(this.file().diff));
  protected readonly language = computed(() => languageOf(this.file().path));
  private readonly highlighter = signal<Highlight | null>(null);
  /** Highlighted HTML per line (index as in `lines`); empty until highlight.js is there, or for an unknown language. */
  protected readonly html = computed(() => {
    const hl = this.highlighter();
    const lang = this.language();
    if (!hl || !lang) return [];
    return this.lines().map((l) => (l.kind === 'hunk' || l.kind === 'meta' ? '' : safeHighlight(hl, l.text, lang)));
  });

  /** A conflict marker line (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`), shown apart from the code around it. */
  protected isMarker(text: string): boolean {
    return /^(<{7}|={7}|>{7})( |$)/.test(text);
  }

  private readonly box = viewChild<ElementRef<HTMLElement>>('box');

  constructor() {
    // A file with conflict markers opens on its first marker, a few lines above it.
    afterRenderEffect(() => {
      this.lines();
      const box = this.box()?.nativeElement;
      const marker = box?.querySelector<HTMLElement>('.line.marker');
      if (box) box.scrollTop = marker ? Math.max(0, marker.offsetTop - 72) : 0;
    });
    effect(() => {
      if (this.language() && !this.highlighter()) {
        loadHighlighter().then(
          (h) => this.highlighter.set(h),
          () => undefined, // plain text it stays
        );
      }
    });
  }
}

function safeHighlight(hl: Highlight, code: string, lang: string): string {
  try {
    return hl(code, lang);
  } catch {
    return '';
  }
}
