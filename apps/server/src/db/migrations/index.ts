import type { Migration } from 'kysely';
import type { DialectTraits } from '../dialect.ts';
import { initial } from './001-initial.ts';

/** Every migration, in order. Names are permanent once released: add, never rename. */
export function migrations(traits: DialectTraits): Record<string, Migration> {
  return {
    '001-initial': initial(traits),
  };
}
