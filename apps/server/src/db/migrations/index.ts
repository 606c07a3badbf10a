import type { Migration } from 'kysely';
import type { DialectTraits } from '../dialect.ts';
import { initial } from './001-initial.ts';
import { modulesAndJobs } from './002-modules-and-jobs.ts';
import { accounts } from './003-accounts.ts';
import { retention } from './004-retention.ts';
import { jobClaims } from './005-job-claims.ts';
import { orchestration } from './006-orchestration.ts';
import { rollbackAndNotifications } from './007-rollback-and-notifications.ts';
import { previews } from './008-previews.ts';
import { moduleVersions } from './009-module-versions.ts';

/** Every migration, in order. Names are permanent once released: add, never rename. */
export function migrations(traits: DialectTraits): Record<string, Migration> {
  return {
    '001-initial': initial(traits),
    '002-modules-and-jobs': modulesAndJobs(traits),
    '003-accounts': accounts(),
    '004-retention': retention(),
    '005-job-claims': jobClaims(),
    '006-orchestration': orchestration(),
    '007-rollback-and-notifications': rollbackAndNotifications(traits),
    '008-previews': previews(traits),
    '009-module-versions': moduleVersions(traits),
  };
}
