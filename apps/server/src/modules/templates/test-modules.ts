import { moduleInputSchema, type ModuleDefinition, type ModuleInput } from '@slipway/contracts';

/** Module definitions the template tests render: every field type, required and optional. */

export type ModuleFieldInput = ModuleInput['fields'][number];

export const GENERATED_AT = new Date('2024-01-15T10:30:00Z');

export function defineModule(input: ModuleInput): ModuleDefinition {
  return moduleInputSchema.parse(input);
}

/** One field of every type, mixing required, unique and defaults, plus a self-relation. */
export function everyFieldTypeModule(over: Partial<ModuleInput> = {}): ModuleDefinition {
  return defineModule({
    name: 'Products',
    description: 'Things we sell. */ Not a comment end; `quotes` and \'apostrophes\'.',
    applications: ['backend', 'frontend'],
    fields: [
      { name: 'title', type: 'string', required: true, unique: true, label: "Title's {name} @home <b>" },
      { name: 'body', type: 'text' },
      { name: 'stock', type: 'integer', required: true, default: 0 },
      { name: 'price', type: 'decimal', required: true },
      { name: 'active', type: 'boolean', required: true, default: true },
      { name: 'released_on', type: 'date' },
      { name: 'published_at', type: 'datetime', default: '2024-01-15T10:30:00+02:00' },
      { name: 'status', type: 'enum', required: true, options: ['draft', 'live', "in review"], default: 'draft' },
      { name: 'customer_id', type: 'relation', relation: 'customers', required: true },
      { name: 'parent_id', type: 'relation', relation: 'products' },
      { name: 'weight', type: 'decimal', default: 1.5 },
      { name: 'note', type: 'string', default: 'none' },
      { name: 'archived', type: 'boolean' },
      { name: 'due_on', type: 'date', required: true },
      { name: 'kind', type: 'enum', options: ['a', 'b'] },
    ],
    ...over,
  });
}
