// Subject access requests (information governance, for its own agency) and disputes of entries (practitioners who see
// the entry). Thin handlers: forms validated here, the repositories decide access and write the audit rows.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { SAR_ITEM_DECISIONS, SAR_REQUESTERS } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { pdfAvailable } from '../../platform/pdf/print.ts'
import { pdfUnavailable, sendPdf } from '../../platform/pdf/reply.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { fieldError, parseForm, versionField, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { identifiersCross } from '../breakglass/identifiers.ts'
import { DECISION_LABELS, REQUESTER_LABELS, SOURCE_LABELS, WITHHELD_WORDING, SUBJECT_TYPE, type Identifiers } from './repository.ts'

const optional = (max: number) => z.string().trim().max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`).optional().default('')
const required = (message: string, max = 5000) => z.string({ message }).trim().min(1, message).max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`)
const rowVersion = versionField()

const logForm = z.object({
  nhsNumber: optional(20),
  givenName: optional(100),
  familyName: optional(100),
  dateOfBirth: optional(10),
  requesterRelationship: z.enum(SAR_REQUESTERS, { message: 'Say who is asking' }),
  requesterName: required('Enter the name of the person asking', 200),
  identityVerified: required('Say how the requester’s identity (and parental responsibility) was verified'),
  receivedOn: z
    .string({ message: 'Enter the date the request was received' })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date the request was received as YYYY-MM-DD')
    .refine((v) => isCalendarDate(v), 'Enter a real date the request was received'),
})

const extendForm = z.object({ rowVersion, reason: required('Say why the request is complex') })

const itemForm = z.object({
  rowVersion,
  decision: z.enum(SAR_ITEM_DECISIONS, { message: 'Choose what to do with this item' }),
  releasedText: optional(20_000),
  reason: optional(5000),
})
const itemCross: CrossCheck = (v) => [
  ...(v.decision === 'release_redacted' && !String(v.releasedText ?? '').trim() ? [{ path: 'releasedText', message: 'Enter the text to release, with the redactions made' }] : []),
  ...((v.decision === 'withhold_exemption' || v.decision === 'withhold_third_party') && !String(v.reason ?? '').trim() ? [{ path: 'reason', message: 'Give the reason for withholding this item' }] : []),
]

const releaseForm = z.object({ reason: required('Say what is being released and why it is ready'), lateReason: optional(5000) })
const decideForm = z.object({ rowVersion, decision: z.enum(['approve', 'refuse'], { message: 'Choose whether to approve the release' }), reason: optional(5000) })
const decideCross: CrossCheck = (v) => (v.decision === 'refuse' && !String(v.reason ?? '').trim() ? [{ path: 'reason', message: 'Give the reason for refusing' }] : [])

const disputeForm = z.object({
  kind: z.enum(['dispute', 'correction'], { message: 'Choose a dispute or a request to correct the entry' }),
  raisedByName: required('Enter the name of the person who disputes the entry', 200),
  raisedByRelationship: z.enum(SAR_REQUESTERS, { message: 'Say who they are' }),
  statement: required('Record what they say is wrong, in their words', 10_000),
})
const respondForm = z.object({
  rowVersion,
  outcome: z.enum(['corrected', 'not_corrected'], { message: 'Choose whether the entry is corrected' }),
  correctedText: optional(10_000),
  response: optional(5000),
})
const respondCross: CrossCheck = (v) => [
  ...(v.outcome === 'corrected' && !String(v.correctedText ?? '').trim() ? [{ path: 'correctedText', message: 'Enter the corrected entry' }] : []),
  ...(v.outcome === 'not_corrected' && !String(v.response ?? '').trim() ? [{ path: 'response', message: 'Give the reasons the entry is not corrected' }] : []),
]

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
/** Field ids on the request page carry the item's id, so each item's form has its own error anchors. */
const scoped = (e: FormErrors, suffix: string): FormErrors => ({
  errors: e.errors.map((x) => ({ ...x, href: `${x.href}-${suffix}` })),
  fieldErrors: Object.fromEntries(Object.entries(e.fieldErrors).map(([k, v]) => [`${k}-${suffix}`, v])),
})
const labels = { requesters: REQUESTER_LABELS, decisions: DECISION_LABELS, sources: SOURCE_LABELS, withheld: WITHHELD_WORDING }

export async function sarRoutes(app: FastifyInstance, { data, clock, config }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).sar
  const disputes = (req: FastifyRequest) => data.forActor(req.actor!).disputes

  // ---- subject access requests ----

  r.get('/subject-access', { permission: 'sar:manage', audit: 'sar.list' }, async (request, reply) => {
    const found = await repo(request).list()
    if (!found) return reply.callNotFound()
    return reply.page('sar/views/list.njk', { title: 'Subject access requests', ...found, labels, backLink: '/' })
  })

  function newPage(reply: FastifyReply, values: Values = {}, errors?: FormErrors) {
    return reply.code(errors ? 400 : 200).page('sar/views/new.njk', {
      title: 'Log a subject access request',
      values: { receivedOn: londonDateTime(clock.now()).date, ...values },
      labels,
      errors: errors?.errors,
      fieldErrors: errors?.fieldErrors ?? {},
      backLink: '/subject-access',
    })
  }

  r.get('/subject-access/new', { permission: 'sar:manage', audit: 'none: an empty form' }, async (_request, reply) => newPage(reply))

  r.post('/subject-access', { permission: 'sar:manage', audit: 'sar.log', formKey: true }, async (request, reply) => {
    const body = bodyOf(request)
    const values = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'))
    const parsed = parseForm(logForm, body, identifiersCross)
    if (!parsed.ok) return newPage(reply, values, parsed.errors)
    const f = parsed.data
    if (f.receivedOn > londonDateTime(clock.now()).date) return newPage(reply, values, fieldError('The date received cannot be in the future', 'receivedOn'))
    const identifiers: Identifiers = f.nhsNumber ? { kind: 'nhs_number', nhsNumber: f.nhsNumber } : { kind: 'name_and_dob', givenName: f.givenName, familyName: f.familyName, dateOfBirth: f.dateOfBirth }
    const result = await repo(request).log({ identifiers, requesterRelationship: f.requesterRelationship, requesterName: f.requesterName, identityVerified: f.identityVerified, receivedOn: f.receivedOn })
    if (!result) return reply.callNotFound()
    if (result.status === 'no-match') return newPage(reply, values, fieldError('No child matches these identifiers exactly: check them with the requester', f.nhsNumber ? 'nhsNumber' : 'givenName'))
    return reply.redirect(`/subject-access/${result.id}?saved=logged`, 303)
  })

  async function requestPage(request: FastifyRequest, reply: FastifyReply, id: string, state: { values?: Values; errors?: FormErrors; open?: string } = {}) {
    const found = await repo(request).view(id)
    if (!found) return reply.callNotFound()
    return reply.code(state.errors ? 400 : 200).page('sar/views/request.njk', {
      title: `Subject access request: ${found.child.name}`,
      ...found,
      labels,
      values: state.values ?? {},
      openForm: state.open ?? null,
      saved: (request.query as { saved?: string }).saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: '/subject-access',
    })
  }
  /** A refusal or bad input on the request page, shown in the error summary against the form's field. */
  const refusedOn = (request: FastifyRequest, reply: FastifyReply, id: string, message: string, field: string, open?: string) => requestPage(request, reply, id, { values: bodyOf(request), errors: fieldError(message, field), ...(open ? { open } : {}) })

  r.get('/subject-access/:sarId', { permission: 'sar:manage', audit: 'sar.view', record: true }, async (request, reply) => requestPage(request, reply, (request.params as { sarId: string }).sarId))

  r.post('/subject-access/:sarId/extend', { permission: 'sar:manage', audit: 'sar.extend', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const parsed = parseForm(extendForm, bodyOf(request))
    if (!parsed.ok) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: parsed.errors })
    try {
      const done = await repo(request).extend(sarId, parsed.data)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return refusedOn(request, reply, sarId, err.message, 'reason')
      throw err
    }
    return reply.redirect(`/subject-access/${sarId}?saved=extended`, 303)
  })

  r.post('/subject-access/:sarId/items/:itemId', { permission: 'sar:manage', audit: 'sar.item.decide', record: true }, async (request, reply) => {
    const { sarId, itemId } = request.params as { sarId: string; itemId: string }
    const parsed = parseForm(itemForm, bodyOf(request), itemCross)
    if (!parsed.ok) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: scoped(parsed.errors, itemId), open: itemId })
    try {
      const done = await repo(request).decideItem(sarId, itemId, parsed.data)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: scoped(fieldError(err.message, 'decision'), itemId), open: itemId })
      throw err
    }
    return reply.redirect(`/subject-access/${sarId}?saved=item#item-${itemId}`, 303)
  })

  // the page's form key (ADR 0006): the same form sent twice (a double click, a refresh) records one dispute, as on the
  // entry's own disputes page
  r.post('/subject-access/:sarId/items/:itemId/dispute', { permission: 'sar:manage', audit: 'entry.dispute.record', record: true, formKey: true }, async (request, reply) => {
    const { sarId, itemId } = request.params as { sarId: string; itemId: string }
    const parsed = parseForm(disputeForm, bodyOf(request))
    if (!parsed.ok) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: scoped(parsed.errors, `d-${itemId}`), open: itemId })
    const done = await repo(request).disputeItem(sarId, itemId, parsed.data)
    if (!done) return reply.callNotFound()
    return reply.redirect(`/subject-access/${sarId}?saved=dispute#item-${itemId}`, 303)
  })

  r.post('/subject-access/:sarId/release', { permission: 'sar:manage', audit: 'sar.release.request', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const parsed = parseForm(releaseForm, bodyOf(request))
    if (!parsed.ok) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: scoped(parsed.errors, 'release') })
    try {
      const done = await repo(request).requestRelease(sarId, parsed.data)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return refusedOn(request, reply, sarId, err.message, /late/i.test(err.message) ? 'lateReason-release' : 'reason-release')
      throw err
    }
    return reply.redirect(`/subject-access/${sarId}?saved=release-requested`, 303)
  })

  r.post('/subject-access/:sarId/release/decide', { permission: 'sar:manage', audit: 'sar.release.approve | sar.release.refuse', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const parsed = parseForm(decideForm, bodyOf(request), decideCross)
    if (!parsed.ok) return requestPage(request, reply, sarId, { values: bodyOf(request), errors: scoped(parsed.errors, 'decide') })
    let result
    try {
      result = await repo(request).decideRelease(sarId, parsed.data)
    } catch (err) {
      if (err instanceof RefusedError) return refusedOn(request, reply, sarId, err.message, 'decision-decide')
      throw err
    }
    if (!result) return reply.callNotFound()
    if (result.status === 'refused') return refusedOn(request, reply, sarId, result.message, 'decision-decide')
    if (result.status === 'conflict') return refusedOn(request, reply, sarId, 'The release has already been decided or withdrawn: reload the page', 'decision-decide')
    return reply.redirect(`/subject-access/${sarId}?saved=${result.state}`, 303)
  })

  r.post('/subject-access/:sarId/release/withdraw', { permission: 'sar:manage', audit: 'sar.release.withdraw', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const parsed = parseForm(z.object({ rowVersion }), bodyOf(request))
    if (!parsed.ok) return requestPage(request, reply, sarId, { errors: scoped(parsed.errors, 'withdraw') })
    const result = await repo(request).withdrawRelease(sarId, parsed.data.rowVersion)
    if (!result) return reply.callNotFound()
    if (result.status === 'refused') return refusedOn(request, reply, sarId, result.message, 'withdraw')
    if (result.status === 'conflict') return refusedOn(request, reply, sarId, 'The release has already been decided or withdrawn: reload the page', 'withdraw')
    return reply.redirect(`/subject-access/${sarId}?saved=withdrawn`, 303)
  })

  r.get('/subject-access/:sarId/response.json', { permission: 'sar:manage', audit: 'sar.export', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const doc = await repo(request).exportRelease(sarId, 'json')
    if (!doc) return reply.callNotFound()
    return reply.type('application/json; charset=utf-8').header('content-disposition', 'attachment; filename="subject-access-response.json"').send(JSON.stringify(doc, null, 2))
  })

  r.get('/subject-access/:sarId/response.pdf', { permission: 'sar:manage', audit: 'sar.export', record: true }, async (request, reply) => {
    const { sarId } = request.params as { sarId: string }
    const alternative = 'You can download the response as JSON instead.'
    if (!pdfAvailable(config.chromiumPath)) return pdfUnavailable(reply, alternative)
    const doc = await repo(request).exportRelease(sarId, 'pdf')
    if (!doc) return reply.callNotFound()
    const html = reply.renderToString('sar/views/print.njk', { title: `Your information: ${doc.child.name}`, doc })
    return sendPdf(reply, html, { chromiumPath: config.chromiumPath, filename: 'subject-access-response.pdf', alternative, undelivered: (reason) => data.forActor(request.actor!).deliveries.undelivered({ action: 'sar.export', entityType: SUBJECT_TYPE, entityId: sarId, reason }) })
  })

  // ---- disputes of an entry ----

  async function disputesPage(request: FastifyRequest, reply: FastifyReply, entryId: string, state: { values?: Values; errors?: FormErrors } = {}) {
    const found = await disputes(request).forEntry(entryId)
    if (!found) return reply.callNotFound()
    return reply.code(state.errors ? 400 : 200).page('sar/views/disputes.njk', {
      title: 'Disputes and corrections',
      ...found,
      labels,
      values: state.values ?? {},
      saved: (request.query as { saved?: string }).saved,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
      backLink: `/entries/${entryId}`,
    })
  }

  r.get('/entries/:entryId/disputes', { permission: 'entry:dispute', audit: 'entry.dispute.view', record: true }, async (request, reply) => disputesPage(request, reply, (request.params as { entryId: string }).entryId))

  r.post('/entries/:entryId/disputes', { permission: 'entry:dispute', audit: 'entry.dispute.record', record: true, formKey: true }, async (request, reply) => {
    const { entryId } = request.params as { entryId: string }
    const parsed = parseForm(disputeForm, bodyOf(request))
    if (!parsed.ok) return disputesPage(request, reply, entryId, { values: bodyOf(request), errors: parsed.errors })
    const done = await disputes(request).record(entryId, parsed.data)
    if (!done) return reply.callNotFound()
    return reply.redirect(`/entries/${entryId}/disputes?saved=recorded`, 303)
  })

  r.post('/entries/:entryId/disputes/:disputeId/response', { permission: 'entry:dispute', audit: 'entry.dispute.respond', record: true }, async (request, reply) => {
    const { entryId, disputeId } = request.params as { entryId: string; disputeId: string }
    const parsed = parseForm(respondForm, bodyOf(request), respondCross)
    if (!parsed.ok) return disputesPage(request, reply, entryId, { values: bodyOf(request), errors: scoped(parsed.errors, disputeId) })
    let done
    try {
      done = await disputes(request).respond(entryId, disputeId, parsed.data)
    } catch (err) {
      if (err instanceof RefusedError) return disputesPage(request, reply, entryId, { values: bodyOf(request), errors: scoped(fieldError(err.message, 'outcome'), disputeId) })
      throw err
    }
    if (!done) return reply.callNotFound()
    return reply.redirect(`/entries/${entryId}/disputes?saved=${done.correctingEntryId ? 'corrected' : 'answered'}`, 303)
  })
}
