import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType, GeneratedFile } from '@slipway/contracts';
import { hasCommand, removeProject, runCommand, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule, GENERATED_AT, type ModuleFieldInput } from './test-modules.ts';

const pack = await loadPack('laravel');
const render = (m = everyFieldTypeModule()) => renderPack(pack, m, { generatedAt: GENERATED_AT });
const file = (files: GeneratedFile[], suffix: string) => files.find((x) => x.path.endsWith(suffix))?.content ?? '';
const hasPhp = hasCommand('php', ['-v']);

describe('laravel pack', () => {
  it('writes model, controller, migration and route file where Laravel looks for them', () => {
    expect(render().map((f) => f.path)).toEqual([
      'app/Models/Product.php',
      'app/Http/Controllers/ProductController.php',
      'routes/modules/products.php',
      // Migrations come last (pack.yaml `migrations`: the create one, then one per later change).
      'database/migrations/2024_01_15_103000_create_products_table.php',
    ]);
  });

  // One row per field type: the migration column, the validation rules and the model cast.
  it.each([
    ['string', { required: true }, "$table->string('f', 255);", "'f' => ['required', 'string', 'max:255'],", undefined],
    ['text', {}, "$table->text('f')->nullable();", "'f' => ['nullable', 'string'],", undefined],
    ['integer', { default: 3 }, "$table->integer('f')->nullable()->default(3);", "'f' => ['nullable', 'integer', 'between:-2147483648,2147483647'],", "'f' => 'integer'"],
    ['decimal', { required: true }, "$table->decimal('f', 12, 2);", "'f' => ['required', 'numeric', 'gt:-10000000000', 'lt:10000000000'],", "'f' => 'float'"],
    ['boolean', { required: true, default: false }, "$table->boolean('f')->default(false);", "'f' => ['sometimes', 'boolean'],", "'f' => 'boolean'"],
    ['date', { unique: true }, "$table->date('f')->nullable()->unique();", "'f' => ['nullable', 'date_format:Y-m-d', Rule::unique('items', 'f')->ignore($item?->id)],", "'f' => 'date:Y-m-d'"],
    ['datetime', { default: '2024-01-15T10:30:00+02:00' }, "$table->dateTime('f')->nullable()->default('2024-01-15 08:30:00');", "'f' => ['nullable', 'date'],", "'f' => 'datetime'"],
    ['enum', { required: true, options: ['s', 'm'] }, "$table->enum('f', ['s', 'm']);", "'f' => ['required', 'in:s,m'],", undefined],
    ['relation', { relation: 'customers' }, "$table->foreignId('f')->nullable()->constrained('customers');", "'f' => ['nullable', 'integer', 'exists:customers,id'],", "'f' => 'integer'"],
  ] satisfies [FieldType, Partial<ModuleFieldInput>, string, string, string | undefined][])('renders a %s field', (type, extra, column, rules, cast) => {
    const files = render(defineModule({ name: 'Items', applications: ['backend'], fields: [{ name: 'f', type, ...extra }] }));
    expect(file(files, '_create_items_table.php')).toContain(`            ${column}\n`);
    expect(file(files, 'ItemController.php')).toContain(`            ${rules}\n`);
    const model = file(files, 'Models/Item.php');
    if (cast) expect(model).toContain(`        ${cast},\n`);
    else expect(model).not.toContain("'f' =>");
  });

  it('links relation fields named *_id to their model', () => {
    const model = file(render(), 'Models/Product.php');
    expect(model).toContain("return $this->belongsTo(Customer::class, 'customer_id');");
    expect(model).toContain('public function parent(): BelongsTo');
  });

  // Laravel 8 to 10 never call a casts() method: booleans would come back as 1/0 there.
  it('declares casts as the $casts property, which Laravel 8 to 12 all read', () => {
    const model = file(render(), 'Models/Product.php');
    expect(model).toContain('    protected $casts = [\n');
    expect(model).not.toContain('function casts()');
  });

  it('stores date-times with an offset as UTC and sends them with a Z', () => {
    const model = file(render(), 'Models/Product.php');
    expect(model).toContain('public function setPublishedAtAttribute(mixed $value): void');
    expect(model).toContain("Carbon::parse($value)->utc()->format($this->getDateFormat())");
    expect(model).toContain("return Carbon::instance($date)->utc()->format('Y-m-d\\\\TH:i:s.v\\\\Z');");
  });

  it('answers 409 with a message when a delete breaks a foreign key', () => {
    const controller = file(render(), 'ProductController.php');
    expect(controller).toContain("'message' => 'This product is still referenced by other records: change or delete them first.',");
    expect(controller).toContain("in_array((string) $e->getCode(), ['23503', '23000'], true)");
  });

  it('says in the route file itself how routes/api.php must load it', () => {
    expect(file(render(), 'routes/modules/products.php')).toContain(
      "Add this line to routes/api.php once; it loads every module's route file, this one included:\n *\n *     foreach (glob(__DIR__.'/modules/*.php') as $file) { require $file; }\n",
    );
  });

  it('refuses a module whose class name is a PHP reserved word', () => {
    expect(() => render(defineModule({ name: 'Lists', applications: ['backend'], fields: [{ name: 'title', type: 'string' }] }))).toThrow(
      /laravel \(built-in\): cannot name a class List/,
    );
  });

  describe('generated files', () => {
    let dir: string;
    let files: GeneratedFile[];
    beforeAll(() => {
      files = render();
      dir = writeProject('lint-php', files);
    });
    afterAll(() => removeProject(dir));

    it.skipIf(!hasPhp)('pass php -l — skipped when php is not installed (apt-get install php-cli)', { timeout: 60_000 }, () => {
      for (const f of files) {
        const r = runCommand('php', ['-l', f.path], dir);
        expect(r.output).toContain('No syntax errors detected');
        expect(r.status).toBe(0);
      }
    });
  });
});
