import { HttpErrorResponse } from '@angular/common/http';
import type { FieldError } from '@slipway/contracts';

/** What the UI needs from any failed API call: the server's `{ error, message, details }`, or why it never answered. */
export interface ApiProblem {
  status: number;
  error: string;
  message: string;
  details: FieldError[];
}

export const SERVER_UNREACHABLE = 'Cannot reach the Slipway server. Is it running?';

export function apiProblem(err: unknown): ApiProblem {
  if (err instanceof HttpErrorResponse) {
    if (err.status === 0) return { status: 0, error: 'unreachable', message: SERVER_UNREACHABLE, details: [] };
    const body = typeof err.error === 'object' && err.error !== null ? (err.error as Record<string, unknown>) : {};
    const details = Array.isArray(body['details'])
      ? (body['details'] as unknown[]).filter(isFieldError)
      : [];
    const message = typeof body['message'] === 'string' ? body['message'] : `${err.status} ${err.statusText || 'error'}`;
    const error = typeof body['error'] === 'string' ? body['error'] : `http_${err.status}`;
    return { status: err.status, error, message, details };
  }
  return { status: -1, error: 'client', message: err instanceof Error ? err.message : String(err), details: [] };
}

function isFieldError(x: unknown): x is FieldError {
  return typeof x === 'object' && x !== null && typeof (x as FieldError).field === 'string' && typeof (x as FieldError).message === 'string';
}
