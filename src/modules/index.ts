// The routes' composition root: each capability registers its own routes.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../platform/http/app.ts'
import { authRoutes } from './auth/routes.ts'
import { homeRoutes } from './home/routes.ts'
import { childrenRoutes } from './children/routes.ts'
import { concernRoutes } from './concerns/routes.ts'
import { consultationRoutes } from './consultations/routes.ts'
import { directoryRoutes } from './directory/routes.ts'
import { notificationRoutes } from './notifications/routes.ts'
import { chronologyRoutes } from './chronology/routes.ts'
import { searchRoutes } from './search/routes.ts'
import { referralRoutes } from './referrals/routes.ts'
import { encompassRoutes } from './encompass/routes.ts'
import { missingRoutes } from './missing/routes.ts'
import { cpRoutes } from './cp/routes.ts'
import { exploitationRoutes } from './exploitation/routes.ts'
import { assessmentRoutes } from './assessments/routes.ts'
import { visitRoutes } from './visits/routes.ts'
import { signalRoutes } from './signals/routes.ts'
import { adminRoutes } from './admin/routes.ts'
import { settingsRoutes } from './settings/routes.ts'
import { apiRoutes } from './api/routes.ts'
import { recordsRoutes } from './records/routes.ts'
import { meetingRoutes } from './meetings/routes.ts'
import { tacRoutes } from './tac/routes.ts'
import { planRoutes } from './plans/routes.ts'
import { governanceRoutes } from './governance/routes.ts'
import { sharingRoutes } from './sharing/routes.ts'
import { requestRoutes } from './requests/routes.ts'
import { transferRoutes } from './transfers/routes.ts'
import { breakGlassRoutes } from './breakglass/routes.ts'
import { retentionRoutes } from './retention/routes.ts'
import { sarRoutes } from './sar/routes.ts'
import { exportRoutes } from './exports/routes.ts'

export async function registerModules(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await authRoutes(app, deps)
  await homeRoutes(app, deps)
  await childrenRoutes(app, deps)
  await concernRoutes(app, deps)
  await consultationRoutes(app, deps)
  await directoryRoutes(app, deps)
  await notificationRoutes(app, deps)
  await chronologyRoutes(app, deps)
  await searchRoutes(app, deps)
  await referralRoutes(app, deps)
  await encompassRoutes(app, deps)
  await missingRoutes(app, deps)
  await cpRoutes(app, deps)
  await exploitationRoutes(app, deps)
  await assessmentRoutes(app, deps)
  await visitRoutes(app, deps)
  await signalRoutes(app, deps)
  await adminRoutes(app, deps)
  await settingsRoutes(app, deps)
  await apiRoutes(app, deps)
  await recordsRoutes(app, deps)
  await meetingRoutes(app, deps)
  await tacRoutes(app, deps)
  await planRoutes(app, deps)
  await governanceRoutes(app, deps)
  await sharingRoutes(app, deps)
  await requestRoutes(app, deps)
  await transferRoutes(app, deps)
  await breakGlassRoutes(app, deps)
  await retentionRoutes(app, deps)
  await sarRoutes(app, deps)
  await exportRoutes(app, deps)
}
