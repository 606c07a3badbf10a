import { describe, expect, it } from 'vitest';
import { PackError } from './pack-manifest.ts';
import { UnsafeOutputPathError } from './output-path.ts';
import { dropStatementLines, renderPack, TemplateRenderError, type PackContents } from './render.ts';
import { defineModule, GENERATED_AT } from './test-modules.ts';

const mod = defineModule({
  name: 'Order Items',
  applications: ['backend'],
  fields: [
    { name: 'quantity', type: 'integer', required: true },
    { name: 'note', type: 'text' },
  ],
});

const pack = (files: Record<string, string>, name = 'custom'): PackContents => ({ name, origin: 'repository', files });
const render = (files: Record<string, string>) => renderPack(pack(files), mod, { generatedAt: GENERATED_AT, application: 'backend' });

describe('renderPack', () => {
  it('renders paths and contents from the manifest, with names and helpers', () => {
    const files = render({
      'pack.yaml': 'name: custom\nfiles:\n  - template: a.eta\n    path: "out/<%= it.names.route %>/<%= it.names.singular.pascal %>.txt"\n',
      'a.eta': '<%= it.names.table %> <%= it.names.plural.camel %> <%= it.h.snake("OrderItem") %> <%= it.application %> <%= it.generatedAt.laravel %>\n',
    });
    expect(files).toEqual([{ path: 'out/order-items/OrderItem.txt', content: 'order_items orderItems order_item backend 2024_01_15_103000\n' }]);
  });

  it('does not escape code: autoEscape is off', () => {
    const [f] = render({ 'pack.yaml': 'name: custom', 'a.ts.eta': "<%= '<T>' %> & \"x\"" });
    expect(f?.content).toBe('<T> & "x"');
  });

  it('without a file list renders every *.eta outside partials/, its path templated too', () => {
    const files = render({
      'pack.yaml': 'name: custom',
      'src/<%= it.names.route %>.txt.eta': 'x<%~ include("@partials/p.eta", { v: 1 }) %>',
      'partials/p.eta': 'p<%= it.v %><%= it.names.slug %>',
      'README.md': 'not a template',
    });
    expect(files).toEqual([{ path: 'src/order-items.txt', content: 'xp1order-items' }]);
  });

  it('drops lines holding only a control tag, keeping every other newline', () => {
    const [f] = render({
      'pack.yaml': 'name: custom',
      'a.eta': 'fields:\n<% for (const f of it.fields) { %>\n  - <%= f.name %>\n<% } %>\nend\n',
    });
    expect(f?.content).toBe('fields:\n  - quantity\n  - note\nend\n');
  });

  it('gives each field its names, label and per-stack types', () => {
    const [f] = render({
      'pack.yaml': 'name: custom',
      'a.eta': '<% for (const f of it.fields) { %><%= f.names.pascal %>|<%= f.label %>|<%= f.ts.valueType %>|<%= f.kysely.dataType %>|<%= f.angular.inputType %>\n<% } %>',
    });
    expect(f?.content).toBe('Quantity|Quantity|number|integer|number\nNote|Note|string | null|text|undefined\n');
  });

  it('refuses an output path outside the repository, naming the template', () => {
    expect(() => render({ 'pack.yaml': 'name: custom\nfiles:\n  - { template: a.eta, path: "../../etc/<%= it.names.slug %>" }', 'a.eta': 'x' })).toThrow(
      UnsafeOutputPathError,
    );
    expect(() => render({ 'pack.yaml': 'name: custom\nfiles:\n  - { template: a.eta, path: ".git/hooks/pre-commit" }', 'a.eta': 'x' })).toThrow(
      /template custom\/a\.eta produced the path ".git\/hooks\/pre-commit": the path is inside \.git/,
    );
  });

  it('refuses two templates writing the same path', () => {
    expect(() =>
      render({ 'pack.yaml': 'name: custom\nfiles:\n  - { template: a.eta, path: x }\n  - { template: b.eta, path: ./x }', 'a.eta': '', 'b.eta': '' }),
    ).toThrow(/a\.eta and b\.eta both write x/);
  });

  it('names the template that fails to compile or to run', () => {
    expect(() => render({ 'pack.yaml': 'name: custom', 'bad.eta': '<% if ( %>' })).toThrow(TemplateRenderError);
    expect(() => render({ 'pack.yaml': 'name: custom', 'bad.eta': '<%= it.nothing.here %>' })).toThrow(/template custom\/bad\.eta failed/);
  });

  it('explains a missing or invalid manifest and a missing template', () => {
    expect(() => render({ 'a.eta': '' })).toThrow(/custom \(repository\): it has no manifest/);
    expect(() => render({ 'pack.yaml': 'name: [' })).toThrow(PackError);
    expect(() => render({ 'pack.yaml': 'name: Bad Name' })).toThrow(/invalid at name/);
    expect(() => render({ 'pack.yaml': 'name: custom\nfiles:\n  - { template: gone.eta, path: x }' })).toThrow(/lists gone\.eta, which is missing/);
  });

  it('refuses a module name the pack reserves', () => {
    expect(() => render({ 'pack.yaml': 'name: custom\nreservedNames: [orderitem]', 'a.eta': '' })).toThrow(/cannot name a class OrderItem/);
  });
});

describe('dropStatementLines', () => {
  it('keeps output tags and statements sharing a line with text', () => {
    expect(dropStatementLines('  <%= x %>\n<% a %> b\n  <%~ y %>\n')).toBe('  <%= x %>\n<% a %> b\n  <%~ y %>\n');
  });

  it('drops indentation and newline of a lone statement, even over several lines', () => {
    expect(dropStatementLines('a\n    <% if (x) {\n  y() } %>\nb\n')).toBe('a\n<% if (x) {\n  y() } %>b\n');
  });
});
