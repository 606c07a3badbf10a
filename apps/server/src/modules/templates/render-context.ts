import type { ModuleDefinition, ModuleField } from '@slipway/contracts';
import {
  angularType,
  jsonSchemaType,
  kyselyType,
  laravelType,
  sampleValue,
  typescriptType,
  zodType,
} from './field-types.ts';
import { camelCase, kebabCase, pascalCase, plural, singular, snakeCase, titleCase } from './inflection.ts';
import { angularText, commentText, phpLiteral, phpString, tsLiteral, tsString } from './literals.ts';

export interface NameForms {
  camel: string;
  pascal: string;
  kebab: string;
  snake: string;
  title: string;
}

export interface ModuleNames {
  slug: string;
  singular: NameForms;
  plural: NameForms;
  /** Database table: snake_case plural, as Laravel and the relation targets expect. */
  table: string;
  /** URL segment under the API prefix: kebab-case plural. */
  route: string;
}

const forms = (s: string): NameForms => ({
  camel: camelCase(s),
  pascal: pascalCase(s),
  kebab: kebabCase(s),
  snake: snakeCase(s),
  title: titleCase(s),
});

/** Every name a template needs for a module slug; the same for the module and its relation targets. */
export function moduleNames(slug: string): ModuleNames {
  const one = singular(snakeCase(slug));
  const many = plural(one);
  return { slug, singular: forms(one), plural: forms(many), table: snakeCase(many), route: kebabCase(many) };
}

/** A field with its names and its type in every stack, ready for templates. */
export function describeField(f: ModuleField) {
  const target = f.type === 'relation' && f.relation ? moduleNames(f.relation) : undefined;
  return {
    ...f,
    label: f.label ?? titleCase(f.name),
    names: forms(f.name),
    target,
    ts: typescriptType(f),
    kysely: kyselyType(f),
    zod: zodType(f),
    jsonSchema: jsonSchemaType(f),
    laravel: laravelType(f, target?.table),
    angular: angularType(f),
    /** Valid example values (0: create, 1: update), for generated tests. */
    samples: [sampleValue(f, 0), sampleValue(f, 1)] as const,
  };
}
export type FieldView = ReturnType<typeof describeField>;

export const templateHelpers = {
  camel: camelCase,
  pascal: pascalCase,
  kebab: kebabCase,
  snake: snakeCase,
  title: titleCase,
  plural,
  singular,
  tsString,
  tsLiteral,
  phpString,
  phpLiteral,
  comment: commentText,
  angularText,
  json: (v: unknown, indent?: number) => JSON.stringify(v, null, indent),
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The data a template sees as `it`. */
export function renderContext(
  module: ModuleDefinition,
  opts: { generatedAt: Date; application?: string; pack: { name: string; origin: string } },
) {
  const d = opts.generatedAt;
  const date = `${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return {
    module,
    names: moduleNames(module.slug),
    fields: module.fields.map(describeField),
    application: opts.application ?? null,
    pack: opts.pack,
    generatedAt: {
      iso: d.toISOString(),
      /** `2024_01_15_103000`, Laravel's migration prefix. */
      laravel: `${date}_${time}`,
      /** `20240115103000`, sortable prefix for Kysely migrations. */
      compact: `${date.replace(/_/g, '')}${time}`,
    },
    h: templateHelpers,
  };
}
export type RenderContext = ReturnType<typeof renderContext>;
