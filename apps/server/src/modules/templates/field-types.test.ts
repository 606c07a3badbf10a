import Fastify from 'fastify';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { FIELD_TYPES, type FieldType } from '@slipway/contracts';
import { jsonSchemaType, sampleValue, zodType } from './field-types.ts';
import { defineModule } from './test-modules.ts';

/** A field of each type, required or not, as the schema parses it. */
function field(type: FieldType, required: boolean) {
  const extra = type === 'enum' ? { options: ['small', 'large'] } : type === 'relation' ? { relation: 'customers' } : {};
  return defineModule({ name: 'T', applications: ['backend'], fields: [{ name: 'f', type, required, ...extra }] }).fields[0]!;
}

const wrong: Record<FieldType, unknown> = {
  string: 42, text: false, integer: 1.5, decimal: 'abc', boolean: 'yes', date: '2024-13-45',
  datetime: 'yesterday', enum: 'medium', relation: 0,
};

describe('zod map', () => {
  const evaluate = (expr: string) => new Function('z', `return ${expr}`)(z) as z.ZodType;

  it.each(FIELD_TYPES)('%s: accepts its samples, refuses a wrong value, and null only when optional', (type) => {
    for (const required of [true, false]) {
      const f = field(type, required);
      const schema = evaluate(zodType(f));
      expect(schema.safeParse(sampleValue(f, 0)).success).toBe(true);
      expect(schema.safeParse(sampleValue(f, 1)).success).toBe(true);
      expect(schema.safeParse(wrong[type]).success).toBe(false);
      expect(schema.safeParse(null).success).toBe(!required);
    }
  });

  it('refuses an empty required string but not an empty optional one', () => {
    expect(evaluate(zodType(field('string', true))).safeParse('').success).toBe(false);
    expect(evaluate(zodType(field('string', false))).safeParse('').success).toBe(true);
  });
});

describe('JSON schema map (as Fastify validates it)', () => {
  it.each(FIELD_TYPES)('%s: accepts its sample, refuses a wrong value, and null only when optional', async (type) => {
    for (const required of [true, false]) {
      const f = field(type, required);
      // Fastify's default ajv coerces types; turn that off to see what the schema itself allows.
      const app = Fastify({ ajv: { customOptions: { coerceTypes: false } } });
      app.post('/', {
        schema: { body: { type: 'object', properties: { f: jsonSchemaType(f) }, required: ['f'] } },
        handler: async () => ({ ok: true }),
      });
      const post = (v: unknown) => app.inject({ method: 'POST', url: '/', payload: { f: v } }).then((r) => r.statusCode);
      expect(await post(sampleValue(f, 0))).toBe(200);
      expect(await post(wrong[type])).toBe(400);
      expect(await post(null)).toBe(required ? 400 : 200);
      await app.close();
    }
  });
});
