// The merged chronology page (child or family), and its CSV export of exactly what the viewer can see.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { EXPORT_LIMIT, PAGE_SIZE, type ChronologyFilter } from './repository.ts'
import { createHash } from 'node:crypto'
import { timelineSvg } from './timeline.ts'
import { inputHtml, paginationHtml, roleLabel, rowsHtml, selectHtml } from './html.ts'
import { categoryLabel, entryTypeLabel } from '../../platform/http/render.ts'
import { pdfAvailable } from '../../platform/pdf/print.ts'
import { pdfUnavailable, sendPdf } from '../../platform/pdf/reply.ts'
import { dateError, queryInt } from '../../web/forms.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { csvCell } from '../../web/csv.ts'
import { londonDateTime } from '../../web/dates.ts'

/** A filter's choices, in the order of the words shown for them, the one asked for selected. */
function choices(codes: readonly string[], label: (code: string) => string, asked: string | undefined) {
  return codes.map((c) => ({ value: c, text: label(c), selected: asked === c })).sort((a, b) => a.text.localeCompare(b.text, 'en-GB'))
}

/** The highest page number asked for: beyond it (or not a whole number) the page says so, a 400, not a database error. */
export const MAX_PAGE = 10_000

function filterFrom(request: FastifyRequest): { filter: ChronologyFilter; errors: { text: string; href: string }[]; pageError: { text: string; href: string } | null; family: boolean; page: number; raw: Record<string, string> } {
  const q = request.query as Record<string, string | undefined>
  const raw = { agency: q.agency ?? '', category: q.category ?? '', type: q.type ?? '', from: q.from ?? '', to: q.to ?? '' }
  const errors: { text: string; href: string }[] = []
  const fromError = raw.from ? dateError(raw.from, 'The “from” date', { format: 'Enter the “from” date as YYYY-MM-DD', real: 'Enter the “from” date as YYYY-MM-DD: it must be a real date' }) : null
  const toError = raw.to ? dateError(raw.to, 'The “to” date', { format: 'Enter the “to” date as YYYY-MM-DD', real: 'Enter the “to” date as YYYY-MM-DD: it must be a real date' }) : null
  // the agency comes from the filter's list (the agencies' ids): anything else is a link typed or cut wrong, said so
  // rather than quietly shown unfiltered as though it had been applied
  if (raw.agency && !isUuid(raw.agency)) errors.push({ text: 'Choose an agency from the list', href: '#agency' })
  if (fromError) errors.push({ text: fromError, href: '#from' })
  if (toError) errors.push({ text: toError, href: '#to' })
  if (!errors.length && raw.from && raw.to && raw.from > raw.to) errors.push({ text: 'The “from” date must be before the “to” date', href: '#from' })
  const filter: ChronologyFilter = errors.length
    ? { agencyId: raw.agency && isUuid(raw.agency) ? raw.agency : null, category: raw.category || null, type: raw.type || null }
    : { agencyId: raw.agency || null, category: raw.category || null, type: raw.type || null, from: raw.from || null, to: raw.to || null }
  // the page number matters to the page only (an export holds every page): checked there
  const page = queryInt(q.page, { min: 1, max: MAX_PAGE, fallback: 1 })
  const pageError = page === null ? { text: `Enter a page number from 1 to ${MAX_PAGE.toLocaleString('en-GB')}`, href: '#main-content' } : null
  return { filter, errors, pageError, family: q.family === '1', page: page ?? 1, raw }
}

type FieldError = { text: string; href: string }

/**
 * The filter's agency, category and type checked against its lists, as the page offers them: the choices come from
 * every entry the viewer may see, so a value not among them (a link from another child's chronology, or typed) would
 * show no entries under a list reading "All", as though no filter were applied. The page and its downloads alike.
 */
function choiceErrors(filter: ChronologyFilter, lists: { agencies: readonly { id: string }[]; categories: readonly string[]; types: readonly string[] }): FieldError[] {
  const errors: FieldError[] = []
  if (filter.agencyId && !lists.agencies.some((a) => a.id === filter.agencyId)) errors.push({ text: 'Choose an agency from the list', href: '#agency' })
  if (filter.category && !lists.categories.includes(filter.category)) errors.push({ text: 'Choose a category from the list', href: '#category' })
  if (filter.type && !lists.types.includes(filter.type)) errors.push({ text: 'Choose a type of entry from the list', href: '#type' })
  return errors
}

/** The filter as the page's query string (its pagination and download links carry it), without the page number. */
function filterQuery(f: { raw: Record<string, string>; family: boolean }): string {
  return new URLSearchParams(Object.entries({ ...f.raw, ...(f.family ? { family: '1' } : {}) }).filter(([, v]) => v)).toString()
}

export async function chronologyRoutes(app: FastifyInstance, { data, config, clock }: AppDeps): Promise<void> {
  const r = routes(app)

  r.get('/children/:childId/chronology', { permission: 'child:read', audit: 'chronology.view', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const f = filterFrom(request)
    if (f.pageError) f.errors.push(f.pageError)
    const result = await data.forActor(request.actor!).chronology.read(childId, { family: f.family, filter: f.filter, page: f.page })
    if (!result) return reply.callNotFound()
    f.errors.push(...choiceErrors(f.filter, result))
    // a page past the last (a bookmark, a link from when there were more entries) says so and links to the last page,
    // rather than "No entries you are entitled to see" with no way back
    const pastTheEnd = !f.pageError && result.total > 0 && f.page > result.pages
    const query = filterQuery(f)
    const fieldErrors: Record<string, { text: string }> = Object.fromEntries(f.errors.map((e) => [e.href.slice(1), { text: e.text }]))
    // the rows, the filter's fields and the pagination as HTML written by functions, not a macro call each
    const html = {
      rows: rowsHtml(result.entries, f.family, result.categoryLabels),
      pagination: result.entries.length ? paginationHtml(result.page, result.pages, query) : '',
      agencySelect: selectHtml('agency', 'Agency', [{ value: '', text: 'All agencies' }, ...result.agencies.map((a) => ({ value: a.id, text: a.name, selected: f.raw.agency === a.id }))], fieldErrors.agency),
      categorySelect: selectHtml('category', 'Category', [{ value: '', text: 'All categories' }, ...choices(result.categories, (c) => categoryLabel(c, result.categoryLabels), f.raw.category)], fieldErrors.category),
      typeSelect: selectHtml('type', 'Type of entry', [{ value: '', text: 'All types' }, ...choices(result.types, entryTypeLabel, f.raw.type)], fieldErrors.type),
      fromInput: inputHtml('from', 'From (YYYY-MM-DD)', f.raw.from ?? '', fieldErrors.from),
      toInput: inputHtml('to', 'To (YYYY-MM-DD)', f.raw.to ?? '', fieldErrors.to),
    }
    return reply.code(f.errors.length ? 400 : 200).page('chronology/views/chronology.njk', {
      title: `Chronology: ${result.children[0]!.given_name} ${result.children[0]!.family_name}`,
      ...result,
      childId,
      family: f.family,
      raw: f.raw,
      query,
      errors: f.errors,
      fieldErrors,
      html,
      backLink: `/children/${childId}`,
      timelineLimit: EXPORT_LIMIT,
      pageSize: PAGE_SIZE,
      lastPageHref: pastTheEnd ? `?${query ? `${query}&` : ''}page=${result.pages}` : null,
    })
  })

  // the picture, served on its own: kept by this viewer's browser only (private) and revalidated on every use
  // (no-cache), by an ETag of the membership and what it sees. Never served from the browser's cache unasked: the
  // session's cookie stays the same when the practitioner switches membership or a relationship ends, and every look
  // is checked and audited (a 304 is cheap; the read behind it is the same).
  r.get('/children/:childId/timeline.svg', { permission: 'child:read', audit: 'chronology.timeline', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const f = filterFrom(request)
    const result = await data.forActor(request.actor!).chronology.read(childId, { family: f.family, filter: f.filter, all: true, action: 'chronology.timeline' })
    if (!result) return reply.callNotFound()
    const svg = timelineSvg(result.entries, { title: `Timeline for ${result.children.map((c) => `${c.given_name} ${c.family_name}`).join(', ')}`, total: result.total, categoryLabels: result.categoryLabels })
    const etag = `"${createHash('sha256').update(request.actor!.membershipId).update(svg).digest('base64url').slice(0, 27)}"`
    reply.header('cache-control', 'private, no-cache').header('etag', etag).header('vary', 'Cookie')
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.type('image/svg+xml; charset=utf-8').send(svg)
  })

  /** What an export holds: exactly what the viewer can see, read (and audited) as an export; null once answered. */
  async function readForExport(request: FastifyRequest, reply: FastifyReply, format: 'csv' | 'pdf') {
    const { childId } = request.params as { childId: string }
    const f = filterFrom(request)
    // a download's link carries the page's filter, checked as the page checks it and refused with the page's messages:
    // the GOV.UK error page, its summary linking to the fields on the chronology page (which marks them), with the way back
    const refuse = (errors: readonly FieldError[]) => {
      const query = filterQuery(f)
      const page = `/children/${childId}/chronology${query ? `?${query}` : ''}`
      return reply.code(400).page('error.njk', {
        title: 'There is a problem with the filter',
        detail: `${errors.map((e) => e.text).join('. ')}. Go back to the chronology, correct the filter and download again.`,
        errors: errors.map((e) => ({ text: e.text, href: `${page}${e.href}` })),
        status: 400,
        backLink: `/children/${childId}/chronology`,
      })
    }
    // dates and an agency that is no id: refused before anything is read
    if (f.errors.length) {
      await refuse(f.errors)
      return null
    }
    const result = await data.forActor(request.actor!).chronology.read(childId, { family: f.family, filter: f.filter, all: true, action: 'chronology.export', format })
    if (!result) {
      await reply.callNotFound()
      return null
    }
    // an agency, category or type not among the filter's choices: refused before anything is exported (no such filter
    // matches an entry the viewer may see, so the read returned none; its statement audits it as 'refused', deciding
    // it from the same lists as this check, src/modules/chronology/repository.ts)
    const notListed = choiceErrors(f.filter, result)
    if (notListed.length) {
      await refuse(notListed)
      return null
    }
    // an export holds exactly what the viewer can see, or nothing: never the first part of it without saying so
    if (result.total > result.entries.length) {
      await reply.code(422).page('error.njk', {
        title: 'This chronology is too long to download in one go',
        detail: `You can see ${result.total.toLocaleString('en-GB')} entries here, and a download holds up to ${EXPORT_LIMIT.toLocaleString('en-GB')}. Go back to the chronology, choose an agency or a date range, and download each part.`,
        status: 422,
        // the way back it speaks of, as the filter's error page has
        backLink: `/children/${childId}/chronology`,
      })
      return null
    }
    return { result, f }
  }

  r.get('/children/:childId/chronology.csv', { permission: 'child:read', audit: 'chronology.export', record: true }, async (request, reply) => {
    const read = await readForExport(request, reply, 'csv')
    if (!read) return reply
    const { result } = read
    // `disputed`: the page marks an entry a child or parent disputes, and so does its export
    // `author_role`: the author's role as the page names it, so that a reader can tell a DSL's entry from a teacher's
    const header = ['occurred_at', 'child', 'agency', 'author', 'author_role', 'type', 'category', 'significance', 'summary', 'disputed', 'recorded_at', 'entry_id', 'supersedes']
    // an entry whose time of day the agency did not give (stored at midday UTC) is its London date, as on the page: not
    // a time that nobody recorded
    const lines = [header.join(','), ...result.entries.map((e) => [e.occurred_time_known ? e.occurred_at : londonDateTime(e.occurred_at).date, e.childName, e.agency, e.author, e.author ? roleLabel(e.role ?? '') : '', e.type, e.category, e.significance, e.summary, e.disputed ? 'yes' : '', e.recorded_at, e.id, e.supersedes_entry_id].map(csvCell).join(','))]
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="chronology.csv"')
      .send(`${lines.join('\r\n')}\r\n`)
  })

  // PDF: Chromium prints the same entries the viewer can see (never more), and the export is audited
  r.get('/children/:childId/chronology.pdf', { permission: 'child:read', audit: 'chronology.export', record: true }, async (request, reply) => {
    const alternative = 'You can download the chronology as a spreadsheet (CSV) instead.'
    if (!pdfAvailable(config.chromiumPath)) return pdfUnavailable(reply, alternative)
    const read = await readForExport(request, reply, 'pdf')
    if (!read) return reply
    const { result, f } = read
    const who = request.session!.practitioner
    // the filter in the words the page uses for it (the category and type as the page names them), not their codes
    const filterText = [f.raw.agency && result.agencies.find((a) => a.id === f.raw.agency)?.name, f.raw.category && categoryLabel(f.raw.category, result.categoryLabels), f.raw.type && entryTypeLabel(f.raw.type), f.raw.from && `from ${f.raw.from}`, f.raw.to && `to ${f.raw.to}`].filter(Boolean).join(', ')
    const html = reply.renderToString('chronology/views/print.njk', {
      ...result,
      family: f.family,
      title: `Chronology — ${result.children.map((c) => `${c.given_name} ${c.family_name}`).join(', ')}`,
      exportedBy: `${who.givenName} ${who.familyName}`,
      exportedAt: clock.now(),
      filterText,
    })
    const { childId } = request.params as { childId: string }
    const undelivered = (reason: string) => data.forActor(request.actor!).deliveries.undelivered({ action: 'chronology.export', entityType: 'child', entityId: childId, childIds: result.children.map((c) => c.id), reason })
    return sendPdf(reply, html, { chromiumPath: config.chromiumPath, filename: 'chronology.pdf', alternative, undelivered })
  })
}
