import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { AuthService } from './auth.service';

/** Where a 401 is an answer, not a lost session: a wrong password, nobody signed in yet. */
const ANSWERS_401 = ['/api/auth/login', '/api/auth/me', '/api/auth/logout'];

/** A 401 from any other API call means the session is gone: back to sign-in. */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const auth = inject(AuthService);
  const router = inject(Router);
  return next(req).pipe(
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse && err.status === 401 && !ANSWERS_401.includes(req.url.split('?')[0]!) && auth.signedIn()) {
        auth.forget();
        void router.navigate(['/sign-in'], { queryParams: { returnUrl: router.url } });
      }
      return throwError(() => err);
    }),
  );
};
