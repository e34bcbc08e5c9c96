// The data layer's composition root: the only door to the database. Handlers get repositories built for the
// acting practitioner; jobs get the one named system repository; sign-in gets the auth repository.
import type { Clock } from '../platform/clock.ts'
import type { Actor } from './actor.ts'
import type { Database } from './db.ts'
import { accessLogRepository } from './repositories/access-log.ts'
import { authRepository } from './repositories/auth.ts'
import { idempotencyRepository } from './repositories/idempotency.ts'
import { childrenRepository } from './repositories/children.ts'
import { entriesRepository } from './repositories/entries.ts'
import { directoryRepository } from './repositories/directory.ts'
import { notificationsRepository } from './repositories/notifications.ts'
import { adminRepository } from './repositories/admin.ts'
import { settingsRepository } from './repositories/settings.ts'
import { concernsRepository } from '../modules/concerns/repository.ts'
import { consultationsRepository } from '../modules/consultations/repository.ts'
import { directoryPages } from '../modules/directory/repository.ts'
import { chronologyRepository } from '../modules/chronology/repository.ts'
import { searchRepository } from '../modules/search/repository.ts'
import { referralsRepository } from '../modules/referrals/repository.ts'
import { encompassRepository } from '../modules/encompass/repository.ts'
import { missingRepository } from '../modules/missing/repository.ts'
import { cpRepository } from '../modules/cp/repository.ts'
import { exploitationRepository } from '../modules/exploitation/repository.ts'
import { assessmentsRepository } from '../modules/assessments/repository.ts'
import { visitsRepository } from '../modules/visits/repository.ts'
import { clockPort } from '../modules/calendar/clocks.ts'
import { signalsRepository } from '../modules/signals/repository.ts'
import { recordsRepository } from '../modules/records/repository.ts'
import { meetingsRepository } from '../modules/meetings/repository.ts'
import { tacRepository } from '../modules/tac/repository.ts'
import { plansRepository } from '../modules/plans/repository.ts'
import { governanceRepository } from '../modules/governance/repository.ts'
import { breakGlassRepository } from '../modules/breakglass/repository.ts'
import { sharingRepository } from '../modules/sharing/repository.ts'
import { agreementRepository } from '../modules/sharing/agreement.ts'
import { requestsRepository } from '../modules/requests/repository.ts'
import { transfersRepository } from '../modules/transfers/repository.ts'
import { tacSettingsRepository } from '../modules/settings/tac-settings.ts'
import { sarRepository } from '../modules/sar/repository.ts'
import { disputesRepository } from '../modules/sar/disputes.ts'
import { retentionRepository } from '../modules/retention/repository.ts'
import { exportsRepository } from '../modules/exports/repository.ts'
import { deliveriesRepository } from './repositories/deliveries.ts'

export function dataAccess(database: Database, clock: Clock) {
  const ctx = { db: database.db, clock }
  return {
    engine: database.engine,
    auth: authRepository(ctx),
    idempotency: idempotencyRepository(ctx),
    directory: directoryRepository(ctx),
    directoryPages: directoryPages(ctx),
    forActor(actor: Actor) {
      return {
        children: childrenRepository(ctx, actor),
        entries: entriesRepository(ctx, actor),
        accessLog: accessLogRepository(ctx, actor),
        notifications: notificationsRepository(ctx, actor),
        admin: adminRepository(ctx, actor),
        settings: settingsRepository(ctx, actor),
        tacSettings: tacSettingsRepository(ctx, actor),
        chronology: chronologyRepository(ctx, actor),
        search: searchRepository(ctx, actor),
        concerns: concernsRepository(ctx, actor),
        consultations: consultationsRepository(ctx, actor),
        referrals: referralsRepository(ctx, actor, clockPort),
        encompass: encompassRepository(ctx, actor, clockPort),
        missing: missingRepository(ctx, actor, clockPort),
        plans: plansRepository(ctx, actor, clockPort),
        cp: cpRepository(ctx, actor, clockPort),
        exploitation: exploitationRepository(ctx, actor, clockPort),
        assessments: assessmentsRepository(ctx, actor, clockPort),
        visits: visitsRepository(ctx, actor, clockPort),
        signals: signalsRepository(ctx, actor),
        records: recordsRepository(ctx, actor),
        meetings: meetingsRepository(ctx, actor),
        tac: tacRepository(ctx, actor),
        governance: governanceRepository(ctx, actor),
        breakGlass: breakGlassRepository(ctx, actor),
        sharing: sharingRepository(ctx, actor),
        sharingAgreement: agreementRepository(ctx, actor),
        requests: requestsRepository(ctx, actor, clockPort),
        transfers: transfersRepository(ctx, actor, clockPort),
        sar: sarRepository(ctx, actor, clockPort),
        disputes: disputesRepository(ctx, actor),
        retention: retentionRepository(ctx, actor),
        exports: exportsRepository(ctx, actor),
        deliveries: deliveriesRepository(ctx, actor),
      }
    },
  }
}

export type DataAccess = ReturnType<typeof dataAccess>
export type Repositories = ReturnType<DataAccess['forActor']>
