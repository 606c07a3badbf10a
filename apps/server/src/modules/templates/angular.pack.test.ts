import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType, GeneratedFile } from '@slipway/contracts';
import { ANGULAR_CLI_TSCONFIG } from './angular-app.ts';
import { removeProject, resolves, runCommand, typecheck, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule, GENERATED_AT, type ModuleFieldInput } from './test-modules.ts';

const pack = await loadPack('angular');
const render = (m = everyFieldTypeModule()) => renderPack(pack, m, { generatedAt: GENERATED_AT });
const file = (files: GeneratedFile[], suffix: string) => files.find((x) => x.path.endsWith(suffix))?.content ?? '';

// apps/web installs Angular for the whole workspace; say so plainly if it is missing.
for (const dep of ['@angular/core', '@angular/forms', '@angular/router', '@angular/compiler-cli/package.json']) {
  if (!resolves(dep)) throw new Error(`${dep} is not installed: run npm ci at the repository root`);
}

describe('angular pack', () => {
  it('writes model, service, list page, form page and lazy routes in a feature folder', () => {
    expect(render().map((f) => f.path)).toEqual([
      'src/app/features/products/products.model.ts',
      'src/app/features/products/products.service.ts',
      'src/app/features/products/products-list.page.ts',
      'src/app/features/products/product-form.page.ts',
      'src/app/features/products/products.routes.ts',
    ]);
  });

  // One row per field type: the form control (type and validators) and the form element.
  it.each([
    ['string', { required: true }, 'f: new FormControl<string | null>(null, { validators: [Validators.required, Validators.maxLength(255)] }),', '<input id="item-f" type="text" formControlName="f" required />'],
    ['text', {}, 'f: new FormControl<string | null>(null),', '<textarea id="item-f" formControlName="f"></textarea>'],
    ['integer', { default: 5 }, 'f: new FormControl<number | null>(5, { validators: [Validators.min(-2147483648), Validators.max(2147483647)] }),', '<input id="item-f" type="number" formControlName="f" step="1" />'],
    ['decimal', { required: true }, 'f: new FormControl<number | null>(null, { validators: [Validators.required] }),', 'type="number" formControlName="f" step="0.01" required />'],
    ['boolean', { required: true }, 'f: new FormControl<boolean>(false, { nonNullable: true }),', '<input id="item-f" type="checkbox" formControlName="f" />'],
    ['date', {}, 'f: new FormControl<string | null>(null),', '<input id="item-f" type="date" formControlName="f" />'],
    ['datetime', { default: '2024-01-15T10:30:00Z' }, "f: new FormControl<string | null>(toLocalInput('2024-01-15T10:30:00Z')),", '<input id="item-f" type="datetime-local" formControlName="f" />'],
    ['enum', { required: true, options: ['s', 'm'] }, "f: new FormControl<'s' | 'm' | null>(null, { validators: [Validators.required] }),", '@for (option of fOptions; track option) {'],
    ['relation', { relation: 'customers' }, 'f: new FormControl<number | null>(null, { validators: [Validators.min(1)] }),', '<input id="item-f" type="number" formControlName="f" step="1" />'],
  ] satisfies [FieldType, Partial<ModuleFieldInput>, string, string][])('renders a %s field', (type, extra, control, element) => {
    const form = file(render(defineModule({ name: 'Items', applications: ['frontend'], fields: [{ name: 'f', type, ...extra }] })), 'item-form.page.ts');
    expect(form).toContain(`    ${control}`);
    expect(form).toContain(element);
  });

  it('offers an empty choice for an optional enum only', () => {
    const form = file(render(), 'product-form.page.ts');
    const kind = form.slice(form.indexOf('<select id="product-kind"'), form.indexOf('</select>', form.indexOf('<select id="product-kind"')));
    const status = form.slice(form.indexOf('<select id="product-status"'), form.indexOf('</select>', form.indexOf('<select id="product-status"')));
    expect(kind).toContain('<option [ngValue]="null">');
    expect(status).not.toContain('<option [ngValue]="null">');
  });

  it('escapes labels for the Angular template inside the template literal', () => {
    const list = file(render(), 'products-list.page.ts');
    expect(list).toContain('<th scope="col">Title&#39;s &#123;name&#125; &#64;home &lt;b&gt;</th>');
  });

  describe('generated project', () => {
    let dir: string;
    beforeAll(() => {
      dir = writeProject('typecheck-ng', render(), {
        'package.json': JSON.stringify({ type: 'module', private: true }),
        'tsconfig.json': JSON.stringify({
          ...ANGULAR_CLI_TSCONFIG,
          compilerOptions: { ...ANGULAR_CLI_TSCONFIG.compilerOptions, moduleResolution: 'bundler', noEmit: true },
          include: ['src'],
        }),
      });
    });
    afterAll(() => removeProject(dir));

    it('type-checks with tsc', { timeout: 120_000 }, () => {
      const r = typecheck(dir);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });

    // ngc also checks the inline templates against the components (strictTemplates).
    it('compiles with ngc and strict templates', { timeout: 120_000 }, () => {
      const pkgPath = createRequire(import.meta.url).resolve('@angular/compiler-cli/package.json');
      const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin.ngc ?? '';
      const r = runCommand(process.execPath, [path.join(path.dirname(pkgPath), bin), '-p', dir], dir);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });
  });
});
