import { HttpErrorResponse } from '@angular/common/http';
import { apiProblem } from './api-error';

describe('apiProblem', () => {
  it('reads the server error body with field details', () => {
    const err = new HttpErrorResponse({
      status: 422,
      error: { error: 'invalid_input', message: 'bad module', details: [{ field: 'fields.2.type', message: 'unknown type' }, { nope: 1 }] },
    });
    expect(apiProblem(err)).toEqual({ status: 422, error: 'invalid_input', message: 'bad module', details: [{ field: 'fields.2.type', message: 'unknown type' }] });
  });

  it('explains a server that does not answer', () => {
    expect(apiProblem(new HttpErrorResponse({ status: 0 })).message).toMatch(/Cannot reach the Slipway server/);
  });

  it('copes with bodies that are not JSON', () => {
    expect(apiProblem(new HttpErrorResponse({ status: 502, statusText: 'Bad Gateway', error: '<html>' }))).toMatchObject({ status: 502, message: '502 Bad Gateway' });
  });
});
