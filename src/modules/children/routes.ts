// A child's summary and "who has looked at this record"; the same through the JSON API.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { hasPermission } from '../../access/policy.ts'

export async function childrenRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const notFound = (reply: { callNotFound(): void }) => reply.callNotFound()

  r.get('/children/:childId', { permission: 'child:read', audit: 'child.view', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    // the summary and the latest entries, read and audited in one statement
    const found = await data.forActor(request.actor!).children.page(childId, { entries: 10 })
    if (!found) return notFound(reply)
    const { child } = found
    return reply.page('children/views/child.njk', {
      title: `${child.givenName} ${child.familyName}`,
      child,
      entries: found.entries,
      totalEntries: found.total,
      totalCapped: found.totalCapped,
      canSeeAccessLog: hasPermission(request.actor!.role, 'child:read-access-log'),
      backLink: '/',
    })
  })

  r.get('/children/:childId/access-log', { permission: 'child:read-access-log', audit: 'audit.access-log', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const log = await data.forActor(request.actor!).accessLog.forChild(childId)
    if (!log) return notFound(reply)
    return reply.page('children/views/access-log.njk', { title: `Who has looked at ${log.child.name}'s record`, log, backLink: request.actor!.role === 'ig_officer' ? '/' : `/children/${childId}` })
  })

  r.get('/access-log', { permission: 'child:read-access-log', audit: 'none: form' }, async (_request, reply) => {
    return reply.page('children/views/access-log-find.njk', { title: 'Who has looked at a record', values: {}, backLink: '/' })
  })

  r.post('/access-log', { permission: 'child:read-access-log', audit: 'audit.access-log.search' }, async (request, reply) => {
    const nhs = String((request.body as { nhsNumber?: unknown })?.nhsNumber ?? '').trim()
    const fail = (text: string) =>
      reply.code(400).page('children/views/access-log-find.njk', { title: 'Who has looked at a record', values: { nhsNumber: nhs }, errors: [{ text, href: '#nhsNumber' }], fieldErrors: { nhsNumber: { text } }, backLink: '/' })
    if (!/^\d{3}\s?\d{3}\s?\d{4}$/.test(nhs)) return fail('Enter a 10-digit NHS number, like 999 123 4567')
    const childId = await data.forActor(request.actor!).accessLog.findByNhsNumber(nhs)
    if (!childId) return fail('No record you may review has that NHS number')
    return reply.redirect(`/children/${childId}/access-log`, 303)
  })

  // JSON API
  r.get('/api/v1/children', { permission: 'child:read', audit: 'child.list' }, async (request) => {
    const children = await data.forActor(request.actor!).children.mine()
    return { data: children }
  })
  r.get('/api/v1/children/:childId', { permission: 'child:read', audit: 'child.view', record: true }, async (request, reply) => {
    const child = await data.forActor(request.actor!).children.summary((request.params as { childId: string }).childId)
    if (!child) return notFound(reply)
    return { data: child }
  })
  r.get('/api/v1/children/:childId/entries', { permission: 'child:read', audit: 'entry.list', record: true }, async (request, reply) => {
    const q = request.query as { limit?: string; offset?: string }
    const limit = Math.min(Math.max(Number(q.limit ?? 50) || 50, 1), 200)
    const offset = Math.max(Number(q.offset ?? 0) || 0, 0)
    const page = await data.forActor(request.actor!).entries.forChild((request.params as { childId: string }).childId, { limit, offset })
    if (!page) return notFound(reply)
    return { data: page.entries, meta: { total: page.total, totalCapped: page.totalCapped, limit, offset } }
  })
}
