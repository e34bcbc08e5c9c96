// Partnership settings: bank holidays, school calendars, concern categories; and (tac-routes.ts) the
// team-around-the-child settings screens, summarised here for partnership administrators.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'
import { TAC_SETTINGS_URL, tacSettingsRoutes } from './tac-routes.ts'

export async function settingsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data } = deps
  await tacSettingsRoutes(app, deps)
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).settings
  const page = async (request: FastifyRequest, reply: FastifyReply, error?: string, done?: string) => {
    const s = await repo(request).calendar()
    const years = [...new Set(s.holidays.map((h) => h.on_date.slice(0, 4)))]
    const tac = hasPermission(request.actor!.role, 'partnership:administer') ? await data.forActor(request.actor!).tacSettings.overview() : null
    return reply.code(error ? 400 : 200).page('settings/views/settings.njk', { title: tac ? 'Settings' : 'Calendars and lists', ...s, years, tac, tacUrl: TAC_SETTINGS_URL, errors: error ? [{ text: error, href: '#main-content' }] : [], done: done ?? (request.query as { done?: string }).done, backLink: '/' })
  }
  r.get('/settings', { permission: 'practitioner:administer', audit: 'none: configuration, no case data' }, async (request, reply) => page(request, reply))
  const post = (url: string, audit: string, run: (request: FastifyRequest, body: Record<string, string>, params: Record<string, string>) => Promise<unknown>) =>
    r.post(url, { permission: 'practitioner:administer', audit, record: url.includes(':') }, async (request, reply) => {
      try {
        const done = await run(request, (request.body ?? {}) as Record<string, string>, request.params as Record<string, string>)
        if (!done) return reply.callNotFound()
      } catch (err) {
        if (err instanceof RefusedError) return page(request, reply, err.message)
        throw err
      }
      return reply.redirect('/settings?done=1', 303)
    })
  post('/settings/bank-holidays', 'settings.bank-holiday.add', (q, b) => repo(q).addBankHoliday(String(b.date ?? ''), String(b.name ?? '')))
  post('/settings/bank-holidays/:dateId/remove', 'settings.bank-holiday.remove', (q, _b, p) => repo(q).removeBankHoliday(p.dateId!))
  post('/settings/terms', 'settings.term.add', (q, b) => repo(q).addTerm(String(b.name ?? ''), String(b.startsOn ?? ''), String(b.endsOn ?? '')))
  post('/settings/terms/:termId/remove', 'settings.term.remove', (q, _b, p) => repo(q).removeTerm(p.termId!))
  post('/settings/closures', 'settings.closure.add', (q, b) => repo(q).addClosure(String(b.date ?? ''), String(b.reason ?? '')))
  post('/settings/start-of-day', 'settings.start-of-day', (q, b) => repo(q).setStartOfDay(String(b.time ?? '')))
  post('/settings/categories', 'settings.category.add', (q, b) => repo(q).addCategory(String(b.label ?? '')))
  post('/settings/categories/:categoryId/active', 'settings.category.active', (q, b, p) => repo(q).setCategoryActive(p.categoryId!, b.active === 'yes'))
}
