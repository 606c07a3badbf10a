import type { FieldError, FileConflict } from '@slipway/contracts';

/** A refusal the routes turn into a JSON error with this status. */
export class ModuleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
    /** An update's conflicting files (409 `conflict`). */
    readonly conflicts?: FileConflict[],
  ) {
    super(message);
  }
}

export const invalid = (details: FieldError[]) =>
  new ModuleError(422, 'invalid_input', details.map((d) => `${d.field || '(body)'}: ${d.message}`).join('; '), details);
