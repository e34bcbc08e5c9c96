// A child's summary and "who has looked at this record"; the same through the JSON API.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { MY_CHILDREN_LIMIT } from '../../data/repositories/children.ts'
import { hasPermission } from '../../access/policy.ts'
import { paginationHtml } from '../chronology/html.ts'
import { dateError, oneValue, queryInt } from '../../web/forms.ts'
import { problem } from '../../platform/http/problem.ts'

/** The highest page of the access log asked for (beyond it a 400 with an error summary, not a database error). */
export const MAX_LOG_PAGE = 10_000
/** The highest offset of the entries API (beyond it a 400 problem, not a database error). */
export const MAX_OFFSET = 1_000_000

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
      categoryLabels: found.categoryLabels,
      totalEntries: found.total,
      totalCapped: found.totalCapped,
      canSeeAccessLog: hasPermission(request.actor!.role, 'child:read-access-log'),
      backLink: '/',
    })
  })

  r.get('/children/:childId/access-log', { permission: 'child:read-access-log', audit: 'audit.access-log', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    // filtered by a date range (London dates) and paged; a bad date is shown as an error and not applied
    const q = request.query as { from?: string; to?: string; page?: string; pageSize?: string }
    const raw = { from: String(q.from ?? '').trim(), to: String(q.to ?? '').trim() }
    const errors: { text: string; href: string }[] = []
    const fromError = raw.from ? dateError(raw.from, 'The “from” date', { format: 'Enter the “from” date as YYYY-MM-DD', real: 'Enter the “from” date as YYYY-MM-DD: it must be a real date' }) : null
    const toError = raw.to ? dateError(raw.to, 'The “to” date', { format: 'Enter the “to” date as YYYY-MM-DD', real: 'Enter the “to” date as YYYY-MM-DD: it must be a real date' }) : null
    if (fromError) errors.push({ text: fromError, href: '#from' })
    if (toError) errors.push({ text: toError, href: '#to' })
    if (!errors.length && raw.from && raw.to && raw.from > raw.to) errors.push({ text: 'The “from” date must be before the “to” date', href: '#from' })
    const dateErrors = errors.length > 0
    // a page number that is not a whole number from 1 to MAX_LOG_PAGE is refused (400), and the first page shown
    const asked = queryInt(q.page, { min: 1, max: MAX_LOG_PAGE, fallback: 1 })
    if (asked === null) errors.push({ text: `Enter a page number from 1 to ${MAX_LOG_PAGE.toLocaleString('en-GB')}`, href: '#main-content' })
    const page = asked ?? 1
    const pageSize = Math.min(Math.max(Math.floor(Number(q.pageSize ?? 50)) || 50, 10), 200)
    const log = await data.forActor(request.actor!).accessLog.forChild(childId, dateErrors ? { page, pageSize } : { from: raw.from || null, to: raw.to || null, page, pageSize })
    if (!log) return notFound(reply)
    const query = new URLSearchParams(Object.entries({ ...(dateErrors ? {} : raw), ...(pageSize !== 50 ? { pageSize: String(pageSize) } : {}) }).filter(([, v]) => v)).toString()
    return reply.code(errors.length ? 400 : 200).page('children/views/access-log.njk', {
      title: `Who has looked at ${log.child.name}'s record`,
      log,
      raw,
      query,
      errors,
      fieldErrors: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
      tampered: log.rows.some((r) => r.seal === 'changed'),
      pagination: paginationHtml(log.page, log.pages, query),
      backLink: request.actor!.role === 'ig_officer' ? '/' : `/children/${childId}`,
    })
  })

  r.get('/access-log', { permission: 'child:read-access-log', audit: 'none: form' }, async (_request, reply) => {
    return reply.page('children/views/access-log-find.njk', { title: 'Who has looked at a record', values: {}, backLink: '/' })
  })

  r.post('/access-log', { permission: 'child:read-access-log', audit: 'audit.access-log.search' }, async (request, reply) => {
    const nhs = (oneValue((request.body as { nhsNumber?: unknown })?.nhsNumber) ?? '').trim()
    const fail = (text: string) =>
      reply.code(400).page('children/views/access-log-find.njk', { title: 'Who has looked at a record', values: { nhsNumber: nhs }, errors: [{ text, href: '#nhsNumber' }], fieldErrors: { nhsNumber: { text } }, backLink: '/' })
    if (!/^\d{3}\s?\d{3}\s?\d{4}$/.test(nhs)) return fail('Enter a 10-digit NHS number, like 999 123 4567')
    const childId = await data.forActor(request.actor!).accessLog.findByNhsNumber(nhs)
    if (!childId) return fail('No record you may review has that NHS number')
    return reply.redirect(`/children/${childId}/access-log`, 303)
  })

  // JSON API
  // the first 500 by family name; `meta.more` says when there are more (a client never takes the page for the whole)
  r.get('/api/v1/children', { permission: 'child:read', audit: 'child.list' }, async (request) => {
    const { children, more } = await data.forActor(request.actor!).children.mineFirst(MY_CHILDREN_LIMIT)
    return { data: children, meta: { limit: MY_CHILDREN_LIMIT, more } }
  })
  r.get('/api/v1/children/:childId', { permission: 'child:read', audit: 'child.view', record: true }, async (request, reply) => {
    const child = await data.forActor(request.actor!).children.summary((request.params as { childId: string }).childId)
    if (!child) return notFound(reply)
    return { data: child }
  })
  r.get('/api/v1/children/:childId/entries', { permission: 'child:read', audit: 'entry.list', record: true }, async (request, reply) => {
    const q = request.query as { limit?: string; offset?: string }
    const limit = queryInt(q.limit, { min: 1, max: 200, fallback: 50 })
    if (limit === null) return problem(reply, 400, 'Invalid request', 'limit must be a whole number from 1 to 200', [{ name: 'limit', reason: 'A whole number from 1 to 200' }])
    const offset = queryInt(q.offset, { min: 0, max: MAX_OFFSET, fallback: 0 })
    if (offset === null) return problem(reply, 400, 'Invalid request', `offset must be a whole number from 0 to ${MAX_OFFSET}`, [{ name: 'offset', reason: `A whole number from 0 to ${MAX_OFFSET}` }])
    const page = await data.forActor(request.actor!).entries.forChild((request.params as { childId: string }).childId, { limit, offset })
    if (!page) return notFound(reply)
    return { data: page.entries, meta: { total: page.total, totalCapped: page.totalCapped, limit, offset } }
  })
}
