// Child-protection file transfer between schools (R9): start a transfer from the child's page (the old school's DSL or
// deputy), the school's transfers (incoming, to receive; outgoing), one transfer with its clock (receive; for a school
// outside the partnership: make the encrypted export, download it, record the confirmation of receipt; withdraw a
// transfer not yet received, with the reason). Thin handlers:
// forms checked here, the repository decides access (out of scope: not found).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type FormErrors } from '../../web/forms.ts'
import { isCalendarDate, londonDateTime } from '../../web/dates.ts'
import { FieldRefusedError, RefusedError } from '../../data/unit-of-work.ts'
import { SharingValidationError } from '../sharing/store.ts'
import { WithdrawnRefusal } from './repository.ts'

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const requiredDate = (what: string) => z.string({ message: `Enter ${what}` }).trim().min(1, `Enter ${what}`).refine((s) => isCalendarDate(s), 'Enter a real date as YYYY-MM-DD, for example 2026-11-20')
const optionalDate = z.string().trim().optional().default('').refine((s) => !s || isCalendarDate(s), 'Enter a real date as YYYY-MM-DD, for example 2027-01-05')
const text = (max: number) => z.string().trim().max(max, `Must be ${max.toLocaleString('en-GB')} characters or fewer`).optional().default('')

const startForm = z.object({
  destination: z.enum(['partnership', 'outside'], { message: 'Say whether the new school is in the partnership' }),
  toAgencyId: z.string().optional().default(''),
  toSchoolName: text(200),
  toSchoolContact: text(500),
  leftOn: requiredDate('the date the child left'),
  startsOn: optionalDate,
  lawfulBasis: z.enum(['6.1.e', '6.1.c'], { message: 'Choose the lawful basis' }),
  checked: z.literal('yes', { message: 'Confirm you have checked the file before it is sent' }),
  note: text(2000),
})

const receiveForm = z.object({ lateReason: text(2000) })

const withdrawForm = z.object({
  withdrawReason: z.string({ message: 'Say why you are withdrawing the transfer' }).trim().min(1, 'Say why you are withdrawing the transfer').max(2000, 'Must be 2,000 characters or fewer'),
  rowVersion: versionField(),
})

const confirmForm = z.object({
  name: z.string({ message: 'Enter the name of the person who confirmed receipt' }).trim().min(1, 'Enter the name of the person who confirmed receipt').max(200, 'Must be 200 characters or fewer'),
  role: z.string({ message: 'Enter their role, for example designated safeguarding lead' }).trim().min(1, 'Enter their role, for example designated safeguarding lead').max(200, 'Must be 200 characters or fewer'),
  confirmedOn: requiredDate('the date they confirmed receipt'),
  lateReason: text(2000),
})

export async function transferRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data, clock } = deps
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).transfers

  interface State {
    values?: Values
    errors?: FormErrors
    status?: number
    message?: string
  }

  async function startPage(request: FastifyRequest, reply: FastifyReply, childId: string, state: State = {}) {
    const found = await repo(request).startPage(childId)
    if (!found) return reply.callNotFound()
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('transfers/views/start.njk', {
      title: `Send the child protection file: ${found.child.given_name} ${found.child.family_name}`,
      ...found,
      values: state.values ?? { lawfulBasis: '6.1.e', destination: found.schools.length ? '' : 'outside' },
      today: londonDateTime(clock.now()).date,
      backLink: `/children/${childId}`,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/children/:childId/file-transfer', { permission: 'transfer:send', audit: 'transfer.start-page', record: true }, async (request, reply) => startPage(request, reply, (request.params as { childId: string }).childId))

  r.post('/children/:childId/file-transfer', { permission: 'transfer:send', audit: 'transfer.start', record: true }, async (request, reply) => {
    const { childId } = request.params as { childId: string }
    const values = bodyOf(request)
    const parsed = parseForm(startForm, values, (v) => {
      const out: { path: string; message: string }[] = []
      if (v.destination === 'partnership' && !String(v.toAgencyId ?? '').trim()) out.push({ path: 'toAgencyId', message: 'Choose the new school from the list' })
      if (v.destination === 'outside' && !String(v.toSchoolName ?? '').trim()) out.push({ path: 'toSchoolName', message: 'Enter the name of the new school' })
      return out
    })
    if (!parsed.ok) return startPage(request, reply, childId, { values, errors: parsed.errors })
    const v = parsed.data
    try {
      const done = await repo(request).start(childId, {
        destination: v.destination,
        toAgencyId: v.destination === 'partnership' ? v.toAgencyId : null,
        toSchoolName: v.destination === 'outside' ? v.toSchoolName : null,
        toSchoolContact: v.destination === 'outside' ? v.toSchoolContact : null,
        leftOn: v.leftOn,
        startsOn: v.startsOn || null,
        lawfulBasis: v.lawfulBasis,
        note: v.note || null,
      })
      if (!done) return reply.callNotFound()
      return reply.redirect(`/file-transfers/${done.id}?saved=started`, 303)
    } catch (err) {
      if (err instanceof FieldRefusedError) return startPage(request, reply, childId, { values, errors: fieldError(err.message, err.field) })
      if (err instanceof SharingValidationError) return startPage(request, reply, childId, { values, errors: fieldError(err.message, 'destination') })
      if (err instanceof RefusedError) return startPage(request, reply, childId, { values, errors: fieldError(err.message, 'destination'), status: 409 })
      throw err
    }
  })

  async function listPage(request: FastifyRequest, reply: FastifyReply, state: State = {}) {
    const found = await repo(request).list()
    return reply.code(state.status ?? 200).page('transfers/views/list.njk', { title: 'Child protection files', ...found, message: state.message })
  }

  r.get('/file-transfers', { permission: 'transfer:receive', audit: 'transfer.list' }, async (request, reply) => listPage(request, reply))

  async function detailPage(request: FastifyRequest, reply: FastifyReply, id: string, state: State & { passphrase?: { value: string; exportId: string; fileName: string } } = {}) {
    const found = await repo(request).get(id)
    if (!found) return reply.callNotFound()
    const q = request.query as { saved?: string }
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('transfers/views/transfer.njk', {
      title: `Child protection file: ${found.transfer.childName}`,
      ...found,
      saved: q.saved,
      message: state.message,
      passphrase: state.passphrase,
      values: state.values ?? {},
      today: londonDateTime(clock.now()).date,
      backLink: '/file-transfers',
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/file-transfers/:transferId', { permission: 'child:read', audit: 'transfer.view', record: true }, async (request, reply) => detailPage(request, reply, (request.params as { transferId: string }).transferId))

  r.post('/file-transfers/:transferId/receive', { permission: 'transfer:receive', audit: 'transfer.receive', record: true }, async (request, reply) => {
    const { transferId } = request.params as { transferId: string }
    const values = bodyOf(request)
    const parsed = parseForm(receiveForm, values)
    if (!parsed.ok) return detailPage(request, reply, transferId, { values, errors: parsed.errors })
    try {
      const done = await repo(request).receive(transferId, parsed.data.lateReason || null)
      if (!done) return reply.callNotFound()
    } catch (err) {
      // a field's refusal (the module's, or the clock's: received late without the reason) is shown beside it
      if (err instanceof FieldRefusedError) return detailPage(request, reply, transferId, { values, errors: fieldError(err.message, err.field) })
      // withdrawn while the page was open: the transfer is no longer the school's to see; its list says so
      if (err instanceof WithdrawnRefusal) return listPage(request, reply, { status: 409, message: err.message })
      if (err instanceof RefusedError) return detailPage(request, reply, transferId, { values, errors: fieldError(err.message, 'lateReason'), status: 409 })
      throw err
    }
    return reply.redirect(`/file-transfers/${transferId}?saved=received`, 303)
  })

  r.post('/file-transfers/:transferId/export', { permission: 'transfer:send', audit: 'transfer.export', record: true }, async (request, reply) => {
    const { transferId } = request.params as { transferId: string }
    try {
      const done = await repo(request).makeExport(transferId)
      if (!done) return reply.callNotFound()
      // the passphrase is shown on this one response and never again (no-store: it must not sit in a cache)
      reply.header('cache-control', 'no-store')
      return detailPage(request, reply, transferId, { passphrase: { value: done.passphrase, exportId: done.exportId, fileName: done.fileName } })
    } catch (err) {
      if (err instanceof RefusedError) return detailPage(request, reply, transferId, { errors: fieldError(err.message, 'export'), status: 409 })
      throw err
    }
  })

  r.get('/file-transfers/:transferId/exports/:exportId', { permission: 'transfer:send', audit: 'transfer.download', record: true }, async (request, reply) => {
    const { transferId, exportId } = request.params as { transferId: string; exportId: string }
    let file
    try {
      file = await repo(request).download(transferId, exportId)
    } catch (err) {
      if (err instanceof WithdrawnRefusal) return detailPage(request, reply, transferId, { status: 410, message: err.message })
      throw err
    }
    if (!file) return reply.callNotFound()
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .header('cache-control', 'no-store')
      .send(file.bytes)
  })

  r.post('/file-transfers/:transferId/confirm', { permission: 'transfer:send', audit: 'transfer.confirm', record: true }, async (request, reply) => {
    const { transferId } = request.params as { transferId: string }
    const values = bodyOf(request)
    const parsed = parseForm(confirmForm, values)
    if (!parsed.ok) return detailPage(request, reply, transferId, { values, errors: parsed.errors })
    try {
      const done = await repo(request).confirm(transferId, { name: parsed.data.name, role: parsed.data.role, confirmedOn: parsed.data.confirmedOn, lateReason: parsed.data.lateReason || null })
      if (!done) return reply.callNotFound()
    } catch (err) {
      // a field's refusal (the module's, or the clock's: confirmed late without the reason) is shown beside it
      if (err instanceof FieldRefusedError) return detailPage(request, reply, transferId, { values, errors: fieldError(err.message, err.field) })
      if (err instanceof RefusedError) return detailPage(request, reply, transferId, { values, errors: fieldError(err.message, 'name'), status: 409 })
      throw err
    }
    return reply.redirect(`/file-transfers/${transferId}?saved=confirmed`, 303)
  })

  async function withdrawPage(request: FastifyRequest, reply: FastifyReply, id: string, state: State = {}) {
    const found = await repo(request).get(id)
    if (!found || !found.isSender) return reply.callNotFound()
    if (!found.canWithdraw) return reply.redirect(`/file-transfers/${found.transfer.id}`, 303)
    return reply.code(state.status ?? (state.errors ? 400 : 200)).page('transfers/views/withdraw.njk', {
      title: `Withdraw the child protection file transfer: ${found.transfer.childName}`,
      ...found,
      values: state.values ?? {},
      backLink: `/file-transfers/${found.transfer.id}`,
      errors: state.errors?.errors,
      fieldErrors: state.errors?.fieldErrors ?? {},
    })
  }

  r.get('/file-transfers/:transferId/withdraw', { permission: 'transfer:send', audit: 'transfer.view', record: true }, async (request, reply) => withdrawPage(request, reply, (request.params as { transferId: string }).transferId))

  r.post('/file-transfers/:transferId/withdraw', { permission: 'transfer:send', audit: 'transfer.withdraw', record: true }, async (request, reply) => {
    const { transferId } = request.params as { transferId: string }
    const values = bodyOf(request)
    const parsed = parseForm(withdrawForm, values)
    if (!parsed.ok) return withdrawPage(request, reply, transferId, { values, errors: parsed.errors })
    try {
      const done = await repo(request).withdraw(transferId, { reason: parsed.data.withdrawReason, rowVersion: parsed.data.rowVersion })
      if (!done) return reply.callNotFound()
      if (done.status === 'conflict') return detailPage(request, reply, transferId, { status: 409, message: 'The transfer changed after you opened the withdrawal page (an encrypted file was made or downloaded, or it was received or withdrawn): nothing was withdrawn. This is where it stands now.' })
    } catch (err) {
      if (err instanceof FieldRefusedError) return withdrawPage(request, reply, transferId, { values, errors: fieldError(err.message, err.field) })
      if (err instanceof RefusedError) return detailPage(request, reply, transferId, { status: 409, message: err.message })
      throw err
    }
    return reply.redirect(`/file-transfers/${transferId}?saved=withdrawn`, 303)
  })
}
