// Agency records: import (CSV pasted into the page, up to 1 MB — no JavaScript, no multipart), the review queue,
// one record with its history, unmerge and the withdrawal of a "not the same child" decision, and the API for agencies' integrations (one record, one entry).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { conflictProblem, validationProblem } from '../../platform/http/problem.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { ENTRY_COLUMNS, RECORD_COLUMNS, ENTRY_TYPES } from './validate.ts'
import { fieldError, oneValue, queryInt, sentTwice } from '../../web/forms.ts'
import { FILE_NAME_MAX, fileNameRefusal, REVIEW_PAGE_SIZE, type ImportResult, type ReviewQueue } from './repository.ts'
import { paginationHtml } from '../chronology/html.ts'

const MAX_CSV = 1_000_000
// The file name kept with the import, as typed: the data layer's rule (FILE_NAME_MAX, fileNameRefusal), the same as
// the command line's; one longer is refused with the form kept, the file still pasted, and the page's remedy added.
const fileNameText = (refused: FieldRefusedError) => `${refused.message}: shorten it, or leave it blank`
const REASON_MAX = 2000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function recordsRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).records
  const body = (req: FastifyRequest) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {})
  // a single-value field as sent ('' when absent or sent more than once: `twice` says which came more than once)
  const field = (req: FastifyRequest, name: string) => (oneValue(body(req)[name]) ?? '').trim()
  const twice = (req: FastifyRequest, name: string) => oneValue(body(req)[name]) === null
  const recordId = (req: FastifyRequest) => (req.params as { recordId: string }).recordId

  const importPage = (reply: FastifyReply, values: Record<string, unknown>, extra: { result?: ImportResult; errors?: { text: string; href: string }[]; fieldErrors?: Record<string, { text: string }> } = {}, code = 200) =>
    reply.code(code).page('records/views/import.njk', { title: 'Import agency records', values, recordColumns: RECORD_COLUMNS.join(','), entryColumns: ENTRY_COLUMNS.join(','), entryTypes: ENTRY_TYPES.join(', '), fileNameMax: FILE_NAME_MAX, errors: [], fieldErrors: {}, backLink: '/', ...extra })

  r.get('/records/import', { permission: 'records:import', audit: 'none: the import form' }, async (_request, reply) => importPage(reply, { kind: 'records' }))

  r.post('/records/import', { permission: 'records:import', audit: 'records.import' }, async (request, reply) => {
    const kind = field(request, 'kind')
    const csv = oneValue(body(request)['csv']) ?? ''
    const fileName = field(request, 'fileName')
    const values = { kind, csv, fileName }
    const fieldErrors: Record<string, { text: string }> = {}
    // each sent once: two pasted files (csv=…&csv=…) would otherwise be joined into one with a comma between
    if (twice(request, 'kind')) fieldErrors['kind'] = { text: sentTwice('What the file holds') }
    else if (kind !== 'records' && kind !== 'entries') fieldErrors['kind'] = { text: 'Choose what the file holds: records or entries' }
    if (twice(request, 'fileName')) fieldErrors['fileName'] = { text: sentTwice('The file name') }
    else {
      const refused = fileNameRefusal(fileName)
      if (refused) fieldErrors['fileName'] = { text: fileNameText(refused) }
    }
    if (twice(request, 'csv')) fieldErrors['csv'] = { text: sentTwice('The CSV file') }
    else if (!csv.trim()) fieldErrors['csv'] = { text: 'Paste the CSV file, with its header row' }
    else if (csv.length > MAX_CSV) fieldErrors['csv'] = { text: 'The file must be 1 MB or smaller: split it, or use the command line (npm run import)' }
    if (Object.keys(fieldErrors).length) return importPage(reply, values, { fieldErrors, errors: Object.entries(fieldErrors).map(([k, v]) => ({ text: v.text, href: `#${k}` })) }, 400)
    const importer = repo(request).importer
    if (!importer) return reply.callNotFound()
    try {
      // the page's import is one transaction, all or nothing (a file of up to 1 MB): batches that commit one by one,
      // and resume, are for the command line, which shows its progress and can be run again
      const result = await importer.importCsv(kind as 'records' | 'entries', csv, { fileName: fileName || null, chunkSize: Number.MAX_SAFE_INTEGER })
      if (result.status === 'rejected') {
        const text = `Nothing was imported: ${result.rejections.length} row${result.rejections.length === 1 ? '' : 's'} ${result.rejections.length === 1 ? 'has' : 'have'} a problem. Correct ${result.rejections.length === 1 ? 'it' : 'them'} and import the whole file again.`
        return importPage(reply, values, { result, errors: [{ text, href: '#rejections' }], fieldErrors: { csv: { text } } }, 400)
      }
      return importPage(reply, { kind }, { result })
    } catch (err) {
      if (err instanceof FieldRefusedError && err.field === 'fileName') return importPage(reply, values, fieldError(fileNameText(err), 'fileName'), 400)
      if (err instanceof RefusedError) return importPage(reply, values, fieldError(err.message, 'csv'), 409)
      throw err
    }
  }, { bodyLimit: 4 * MAX_CSV }) // a pasted CSV of up to 1 MB, form-encoded

  const reviewPage = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; fieldErrors?: Record<string, { text: string }>; errors?: { text: string; href: string }[] } = {}, code = 200, at: { page?: number; one?: ReviewQueue } = {}) => {
    const queue = at.one ?? (await repo(request).reviewQueue({ page: at.page ?? 1 }))
    if (!queue) return reply.callNotFound()
    const matcher = await repo(request).matcherModel()
    // one record alone (a decision sent back with an error): the way back to the whole queue
    const single = at.one !== undefined
    return reply.code(code).page('records/views/review.njk', {
      title: 'Records to review',
      ...queue,
      single,
      first: (queue.page - 1) * REVIEW_PAGE_SIZE + 1,
      pagination: single ? '' : paginationHtml(queue.page, queue.pages, ''),
      matcher,
      values: {},
      fieldErrors: {},
      errors: [],
      backLink: '/',
      ...extra,
    })
  }
  r.get('/records/review', { permission: 'records:match', audit: 'records.review-queue' }, async (request, reply) => {
    const page = queryInt((request.query as { page?: unknown }).page, { min: 1, max: 1_000_000, fallback: 1 })
    // a page number that is not one: the first page, under the error
    if (page === null) return reviewPage(request, reply, { errors: [{ text: 'Enter a page number: a whole number from 1', href: '#queue' }] }, 400)
    return reviewPage(request, reply, {}, 200, { page })
  })

  r.post('/records/review/reestimate', { permission: 'records:match', audit: 'records.reestimate' }, async (request, reply) => {
    const done = await repo(request).reestimate()
    if (!done) return reply.callNotFound()
    return reply.redirect('/records/review#matcher', 303)
  })

  for (const [path, action, act] of [
    ['merge', 'records.merge', 'merge'],
    ['not-same', 'records.not-same', 'notSame'],
  ] as const) {
    r.post(`/records/:recordId/${path}`, { permission: 'records:match', audit: action, record: true }, async (request, reply) => {
      const id = recordId(request)
      const reason = field(request, 'reason')
      const key = `reason-${id}`
      const problemText = twice(request, 'reason') ? sentTwice('The reason') : !reason ? (act === 'merge' ? 'Give the reason these records are the same child' : 'Give the reason these are not the same child') : reason.length > REASON_MAX ? `The reason must be ${REASON_MAX} characters or fewer` : null
      if (problemText) {
        // the record's decision form again, alone, with the error and what was typed (wherever it sits in the queue)
        const one = await repo(request).reviewQueue({ recordId: id })
        if (!one?.items.length) return reply.callNotFound()
        return reviewPage(request, reply, { values: { [key]: reason }, fieldErrors: { [key]: { text: problemText } }, errors: [{ text: problemText, href: `#${key}` }] }, 400, { one })
      }
      try {
        const done = await repo(request)[act](id, reason)
        if (!done) return reply.callNotFound()
      } catch (err) {
        if (err instanceof RefusedError) return reviewPage(request, reply, { errors: [{ text: err.message, href: '#queue' }] }, 409)
        throw err
      }
      return reply.redirect(`/records/${id}`, 303)
    })
  }

  const recordPage = async (request: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; fieldErrors?: Record<string, { text: string }>; errors?: { text: string; href: string }[] } = {}, code = 200) => {
    const found = await repo(request).get(recordId(request))
    if (!found) return reply.callNotFound()
    return reply.code(code).page('records/views/record.njk', { title: `Agency record ${found.record.sourceRef}`, ...found, values: {}, fieldErrors: {}, errors: [], backLink: '/records/review', ...extra })
  }
  r.get('/records/:recordId', { permission: 'records:match', audit: 'records.view', record: true }, async (request, reply) => recordPage(request, reply))

  r.post('/records/:recordId/unmerge', { permission: 'records:match', audit: 'records.unmerge', record: true }, async (request, reply) => {
    const id = recordId(request)
    const reason = field(request, 'reason')
    const problemText = twice(request, 'reason') ? sentTwice('The reason') : !reason ? 'Give the reason this record is not the same child' : reason.length > REASON_MAX ? `The reason must be ${REASON_MAX} characters or fewer` : null
    if (problemText) return recordPage(request, reply, { values: { reason }, fieldErrors: { reason: { text: problemText } }, errors: [{ text: problemText, href: '#reason' }] }, 400)
    try {
      const done = await repo(request).unmerge(id, reason)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return recordPage(request, reply, { errors: [{ text: err.message, href: '#history' }] }, 409)
      throw err
    }
    return reply.redirect(`/records/${id}`, 303)
  })

  r.post('/records/:recordId/withdraw', { permission: 'records:match', audit: 'records.withdraw', record: true }, async (request, reply) => {
    const id = recordId(request)
    const childId = field(request, 'childId')
    const reason = field(request, 'withdrawReason')
    const fieldErrors: Record<string, { text: string }> = {}
    if (twice(request, 'childId')) fieldErrors['childId'] = { text: sentTwice('The decision to withdraw') }
    else if (!UUID.test(childId)) fieldErrors['childId'] = { text: 'Choose the decision to withdraw' }
    if (twice(request, 'withdrawReason')) fieldErrors['withdrawReason'] = { text: sentTwice('The reason') }
    else if (!reason) fieldErrors['withdrawReason'] = { text: 'Give the reason this decision was wrong' }
    else if (reason.length > REASON_MAX) fieldErrors['withdrawReason'] = { text: `The reason must be ${REASON_MAX} characters or fewer` }
    if (Object.keys(fieldErrors).length) {
      return recordPage(request, reply, { values: { childId, withdrawReason: reason }, fieldErrors, errors: Object.entries(fieldErrors).map(([k, v]) => ({ text: v.text, href: `#${k}` })) }, 400)
    }
    try {
      const done = await repo(request).withdraw(id, childId, reason)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return recordPage(request, reply, { values: { childId, withdrawReason: reason }, errors: [{ text: err.message, href: '#withdraw' }] }, 409)
      throw err
    }
    return reply.redirect(`/records/${id}`, 303)
  })

  // ---------- the API for agencies' integrations ----------

  const invalid = (reply: FastifyReply, problems: { field: string; reason: string }[]) =>
    validationProblem(reply, problems.map((p) => ({ name: camel(p.field), reason: p.reason })))
  const jsonBody = (request: FastifyRequest): Record<string, unknown> | null => (request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Record<string, unknown>) : null)

  r.post('/api/v1/records', { permission: 'records:import', audit: 'records.create', api: 'create' }, async (request, reply) => {
    const b = jsonBody(request)
    if (!b) return invalid(reply, [{ field: 'body', reason: 'A JSON object' }])
    const importer = repo(request).importer
    if (!importer) return reply.callNotFound()
    const input = fromCamel(b, RECORD_COLUMNS)
    if (input.problems.length) return invalid(reply, input.problems)
    let res
    try {
      res = await importer.putRecord(input.values)
    } catch (err) {
      if (err instanceof RefusedError) return conflictProblem(reply, err.message)
      throw err
    }
    if (!res.ok) return invalid(reply, res.problems)
    const o = res.outcome
    // what became of the agency's own record, as the import page tells it (its counts by state) — not the candidate
    // child a record in review was proposed against, nor the field-by-field comparison with that child's identity:
    // those are the reviewers' (records:match, the review page); sent to the importing agency they would let it probe
    // another child's details one guess at a time
    return reply.code(o.created ? 201 : 200).send({ id: o.recordId, sourceRef: o.sourceRef, created: o.created, childId: o.childId, matchState: o.state })
  })

  r.post('/api/v1/entries', { permission: 'records:import', audit: 'entries.create', api: 'create' }, async (request, reply) => {
    const b = jsonBody(request)
    if (!b) return invalid(reply, [{ field: 'body', reason: 'A JSON object' }])
    const importer = repo(request).importer
    if (!importer) return reply.callNotFound()
    const input = fromCamel(b, ENTRY_COLUMNS)
    if (input.problems.length) return invalid(reply, input.problems)
    const res = await importer.addEntry(input.values)
    if (!res.ok) return invalid(reply, res.problems)
    return reply.code(201).send({ id: res.entry.id, childId: res.entry.childId, agencyRecordId: res.entry.agencyRecordId })
  })
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())

/** The API takes camelCase names (sourceRef, dateOfBirth…) for the CSV's columns; anything else is refused. */
function fromCamel(b: Record<string, unknown>, columns: readonly string[]): { values: Record<string, unknown>; problems: { field: string; reason: string }[] } {
  const values: Record<string, unknown> = {}
  const problems: { field: string; reason: string }[] = []
  for (const c of columns) {
    const v = b[camel(c)]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') problems.push({ field: c, reason: 'must be a string' })
    else values[c] = v
  }
  for (const k of Object.keys(b)) if (!columns.some((c) => camel(c) === k)) problems.push({ field: k, reason: `is not a field of this request (the fields are ${columns.map(camel).join(', ')})` })
  return { values, problems }
}
