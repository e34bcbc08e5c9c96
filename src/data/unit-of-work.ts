// Every repository call is one transaction that carries its own audit row: the row commits with the read or
// write it describes, or not at all. A call that throws is audited as a failure in a short transaction of its own.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Kysely, Transaction } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import { writeAudit, type AuditActor, type AuditRecord } from './audit.ts'
import type { DB } from './schema.ts'

export interface Ctx {
  db: Kysely<DB>
  clock: Clock
}

export interface Audited<T> {
  result: T
  audit: AuditRecord
}

export async function auditedTransaction<T>(
  ctx: Ctx,
  actor: AuditActor,
  action: string,
  fn: (trx: Transaction<DB>, now: Date) => Promise<Audited<T>>,
): Promise<T> {
  const now = ctx.clock.now()
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const precondition = await checkPrecondition(trx, actor.partnershipId)
      const { result, audit } = await fn(trx, now)
      // judged after the work, so a record out of the actor's scope is "not found" (the work said so), never "stale"
      if (precondition && result !== null && result !== undefined) {
        const current = precondition.current ?? precondition.version
        if (current !== precondition.version) throw new PreconditionFailedError(current)
        await bumpVersion(trx, actor.partnershipId, precondition)
      }
      await writeAudit(trx, actor, now, audit)
      return result
    })
  } catch (err) {
    if (err instanceof NotAuditable) throw err
    await auditFailure(ctx, actor, action, now, err)
    throw err
  }
}

/**
 * The audit row of work that threw — refused, or failed — written in a statement of its own (the work's transaction
 * is gone). Never throws: the work's own error is the one the caller sees. For work done outside
 * `auditedTransaction` (the concern's one-statement write), as inside it.
 */
export async function auditFailure(ctx: Ctx, actor: AuditActor, action: string, now: Date, err: unknown): Promise<void> {
  await writeAudit(ctx.db, actor, now, {
    action,
    outcome: err instanceof RefusedError ? 'refused' : 'failure',
    details: { error: err instanceof RefusedError ? err.message : (err as Error)?.name ?? 'Error' },
  }).catch(() => undefined)
}

/** A refusal the caller shows as a validation or permission message; audited as refused. */
export class RefusedError extends Error {}
/**
 * A refusal of one field's value that only the database can check (a category from the partnership's own list): bad
 * input, so the API answers 400 naming the field, and a page shows the message beside it.
 */
export class FieldRefusedError extends RefusedError {
  readonly field: string
  constructor(message: string, field: string) {
    super(message)
    this.field = field
  }
}
/**
 * A submission's idempotency key, already used by the same practitioner for a submission with different details:
 * nothing is saved. The API answers 422; a form is shown again with what was typed, a new key and FORM_SENT_BEFORE,
 * so going back, changing a form and sending it again never silently keeps the first version instead.
 */
export class KeyReusedError extends RefusedError {}
export const FORM_SENT_BEFORE = 'This form was already sent with different details, and those were saved. Nothing new was saved this time. To save these details as well, check them and send the form again'
/** Marker for errors already audited. */
export class NotAuditable extends Error {}

/**
 * An API update's precondition (If-Match): the version of the record the client last read. The first audited
 * transaction inside `withPrecondition` locks the record's row, refuses a stale version (PreconditionFailedError,
 * audited as refused, answered 412), and leaves the row one version on (the trigger bumps it on any update; a
 * step that only added rows beside it bumps it explicitly), so two clients can never both act on the same version.
 */
export interface Precondition {
  table: 'concern' | 'referral'
  id: string
  version: number
  /** Set once checked: the version after the change (the new ETag). */
  newVersion?: number
  checked?: boolean
  /** The version found (row locked) when the transaction began. */
  current?: number
}
const preconditions = new AsyncLocalStorage<Precondition>()

export function withPrecondition<T>(p: Precondition, fn: () => T): T {
  return preconditions.run(p, fn)
}

export class PreconditionFailedError extends RefusedError {
  current: number
  constructor(current: number) {
    super('The record has changed since you read it: read it again (GET) and send its current ETag in If-Match')
    this.current = current
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Locks the record's row for the transaction and notes its version; the verdict waits for the work's answer. */
async function checkPrecondition(trx: Transaction<DB>, partnershipId: string): Promise<Precondition | null> {
  const p = preconditions.getStore()
  if (!p || p.checked) return null
  p.checked = true
  if (!UUID.test(p.id)) return null // the work answers not found
  const row = await trx.selectFrom(p.table).select('row_version').where('id', '=', p.id).where('partnership_id', '=', partnershipId).forUpdate().executeTakeFirst()
  if (!row) return null // not found: the work answers 404 exactly as for any other request
  p.current = row.row_version
  return p
}

async function bumpVersion(trx: Transaction<DB>, partnershipId: string, p: Precondition): Promise<void> {
  const row = await trx.selectFrom(p.table).select('row_version').where('id', '=', p.id).where('partnership_id', '=', partnershipId).executeTakeFirstOrThrow()
  if (row.row_version !== p.version) {
    p.newVersion = row.row_version
    return
  }
  const bumped = await trx.updateTable(p.table).set((eb) => ({ row_version: eb('row_version', '+', 1) })).where('id', '=', p.id).where('partnership_id', '=', partnershipId).returning('row_version').executeTakeFirstOrThrow()
  p.newVersion = bumped.row_version
}
