// Bulk exports (information governance, for its own agency): ask, decide as a second officer, download as JSON.
// Thin handlers: forms validated here; the repository decides scope and writes the audit rows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { RefusedError } from '../../data/unit-of-work.ts'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { validNhsNumber } from '../breakglass/identifiers.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { CONSENT_BASIS, CONSENT_REFUSED, EXPORT_HOURS, EXPORT_LAWFUL_BASES, EXPORT_OFFERED_BASES, EXPORT_PURPOSES, MAX_CHILDREN, type ChildIdentifier, type ExportPurpose } from './repository.ts'

const rowVersion = versionField()
const purposeCodes = EXPORT_PURPOSES.map((p) => p.code) as [ExportPurpose, ...ExportPurpose[]]
const basisCodes = EXPORT_LAWFUL_BASES.map((b) => b.code) as [string, ...string[]]

/** One child a line: a TeamAround id, or an NHS number. Blank lines are ignored. */
export function childLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
}
const identifierOf = (line: string): ChildIdentifier | null => (isUuid(line) ? { kind: 'id', id: line } : validNhsNumber(line) ? { kind: 'nhs_number', nhsNumber: line } : null)

const requestForm = z.object({
  children: z.string({ message: 'Enter the children to export, one a line' }).max(MAX_CHILDREN * 40, 'Enter at most 50 children'),
  includeConcerns: z.enum(['yes', 'no'], { message: 'Say whether to include concerns' }),
  purpose: z.enum(purposeCodes, { message: 'Choose the purpose of the export' }),
  lawfulBasis: z.enum(basisCodes, { message: 'Choose the lawful basis' }),
  reason: z.string({ message: 'Give the reason for the export' }).trim().min(1, 'Give the reason for the export').max(5000, 'The reason must be 5,000 characters or fewer'),
})
const childrenCross: CrossCheck = (v) => {
  const lines = childLines(String(v.children ?? ''))
  if (!lines.length) return [{ path: 'children', message: 'Enter the children to export, one a line' }]
  if (lines.length > MAX_CHILDREN) return [{ path: 'children', message: `Enter at most ${MAX_CHILDREN} children` }]
  const bad = lines.flatMap((l, i) => (identifierOf(l) ? [] : [i + 1]))
  if (bad.length) return [{ path: 'children', message: `Line ${bad.join(', ')}: enter a TeamAround id or a valid 10-digit NHS number` }]
  return []
}
// consent is refused by the repository too; said here as well so the summary lists it with the other problems at once
const requestCross: CrossCheck = (v) => [...childrenCross(v), ...(v.lawfulBasis === CONSENT_BASIS ? [{ path: 'lawfulBasis', message: CONSENT_REFUSED.request }] : [])]
const decideForm = z.object({ rowVersion, decision: z.enum(['approve', 'refuse'], { message: 'Choose whether to approve the export' }), reason: z.string().trim().max(5000, 'The reason must be 5,000 characters or fewer').optional().default('') })
const decideCross: CrossCheck = (v) => (v.decision === 'refuse' && !String(v.reason ?? '').trim() ? [{ path: 'reason', message: 'Give the reason for refusing' }] : [])

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const labels = { purposes: EXPORT_PURPOSES, bases: EXPORT_OFFERED_BASES, hours: EXPORT_HOURS, max: MAX_CHILDREN }

export async function exportRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).exports

  r.get('/exports', { permission: 'export:manage', audit: 'export.list' }, async (request, reply) => {
    const found = await repo(request).list()
    if (!found) return reply.callNotFound()
    return reply.page('exports/views/list.njk', { title: 'Bulk exports', ...found, labels, backLink: '/' })
  })

  function newPage(reply: FastifyReply, values: Values = {}, errors?: FormErrors) {
    return reply.code(errors ? 400 : 200).page('exports/views/new.njk', {
      title: 'Ask for a bulk export',
      values,
      labels,
      errors: errors?.errors,
      fieldErrors: errors?.fieldErrors ?? {},
      backLink: '/exports',
    })
  }

  r.get('/exports/new', { permission: 'export:manage', audit: 'none: an empty form' }, async (_request, reply) => newPage(reply))

  r.post('/exports', { permission: 'export:manage', audit: 'export.request', formKey: true }, async (request, reply) => {
    const body = bodyOf(request)
    const values = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'))
    const parsed = parseForm(requestForm, body, requestCross)
    if (!parsed.ok) return newPage(reply, values, parsed.errors)
    const f = parsed.data
    const children = childLines(f.children).map((l) => identifierOf(l)!)
    let result
    try {
      result = await repo(request).request({ children, includeConcerns: f.includeConcerns === 'yes', purpose: f.purpose, lawfulBasis: f.lawfulBasis, reason: f.reason })
    } catch (err) {
      if (err instanceof RefusedError) return newPage(reply, values, fieldError(err.message, 'reason'))
      throw err
    }
    if (!result) return reply.callNotFound()
    if (result.status === 'basis-refused') return newPage(reply, values, fieldError(result.message, 'lawfulBasis'))
    if (result.status === 'no-match') {
      return newPage(reply, values, fieldError(`Line ${result.lines.join(', ')}: no child your agency holds records of has this identifier: check it`, 'children'))
    }
    return reply.redirect(`/exports/${result.id}?saved=requested`, 303)
  })

  async function exportPage(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Values; errors?: FormErrors; status?: number } = {}) {
    const found = await repo(request).view(id)
    if (!found) return reply.callNotFound()
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('exports/views/export.njk', {
      title: 'Bulk export',
      x: found,
      labels,
      values: state.values ?? {},
      saved: (request.query as { saved?: string }).saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/exports',
    })
  }

  r.get('/exports/:exportId', { permission: 'export:manage', audit: 'export.view', record: true }, async (request, reply) => exportPage(request, reply, (request.params as { exportId: string }).exportId))

  r.post('/exports/:exportId/decide', { permission: 'export:manage', audit: 'export.approve | export.refuse', record: true }, async (request, reply) => {
    const { exportId } = request.params as { exportId: string }
    const parsed = parseForm(decideForm, bodyOf(request), decideCross)
    if (!parsed.ok) return exportPage(request, reply, exportId, { values: bodyOf(request), errors: parsed.errors })
    let result
    try {
      result = await repo(request).decide(exportId, parsed.data)
    } catch (err) {
      if (err instanceof RefusedError) return exportPage(request, reply, exportId, { values: bodyOf(request), errors: fieldError(err.message, 'reason') })
      throw err
    }
    if (!result) return reply.callNotFound()
    if (result.status === 'refused') return exportPage(request, reply, exportId, { values: bodyOf(request), errors: fieldError(result.message, 'decision'), status: 400 })
    if (result.status === 'conflict') return exportPage(request, reply, exportId, { errors: fieldError('The export has already been decided or withdrawn: reload the page', 'decision'), status: 409 })
    return reply.redirect(`/exports/${exportId}?saved=${result.state}`, 303)
  })

  r.post('/exports/:exportId/withdraw', { permission: 'export:manage', audit: 'export.withdraw', record: true }, async (request, reply) => {
    const { exportId } = request.params as { exportId: string }
    const parsed = parseForm(z.object({ rowVersion }), bodyOf(request))
    if (!parsed.ok) return exportPage(request, reply, exportId, { errors: parsed.errors })
    const result = await repo(request).withdraw(exportId, parsed.data.rowVersion)
    if (!result) return reply.callNotFound()
    if (result.status === 'refused') return exportPage(request, reply, exportId, { errors: fieldError(result.message, 'withdraw'), status: 400 })
    if (result.status === 'conflict') return exportPage(request, reply, exportId, { errors: fieldError('The export has already been decided or withdrawn: reload the page', 'withdraw'), status: 409 })
    return reply.redirect(`/exports/${exportId}?saved=withdrawn`, 303)
  })

  r.get('/exports/:exportId/export.json', { permission: 'export:manage', audit: 'export.download', record: true }, async (request, reply) => {
    const { exportId } = request.params as { exportId: string }
    const result = await repo(request).download(exportId)
    if (!result) return reply.callNotFound()
    if (result.status === 'expired') {
      return reply.code(410).page('error.njk', { title: 'This export is no longer available', detail: `An approved export can be downloaded for ${EXPORT_HOURS} hours after its approval. Ask for a new export if you still need it.`, status: 410 })
    }
    if (result.status === 'basis-refused') {
      return reply.code(409).page('error.njk', { title: 'This export cannot be downloaded', detail: `${result.message}.`, status: 409 })
    }
    if (result.status === 'not-approved') {
      return reply.code(409).page('error.njk', { title: 'This export has not been approved', detail: 'A second information governance officer of your agency must approve it before it can be downloaded.', status: 409 })
    }
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="bulk-export-${exportId}.json"`)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(result.document, null, 2))
  })
}
