import type { WritableSignal } from '@angular/core';
import { apiProblem } from '../core/api-error';

/** Runs one API call with `busy` set; a failure is put in `error` (shown on the page) and answers undefined. */
export async function busyCall<T>(busy: WritableSignal<boolean>, error: WritableSignal<string | null>, call: () => Promise<T>): Promise<T | undefined> {
  busy.set(true);
  error.set(null);
  try {
    return await call();
  } catch (err) {
    error.set(apiProblem(err).message);
    return undefined;
  } finally {
    busy.set(false);
  }
}
