// Every repository call is one transaction that carries its own audit row: the row commits with the read or
// write it describes, or not at all. A call that throws is audited as a failure in a short transaction of its own.
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
      const { result, audit } = await fn(trx, now)
      await writeAudit(trx, actor, now, audit)
      return result
    })
  } catch (err) {
    if (err instanceof NotAuditable) throw err
    await writeAudit(ctx.db, actor, now, {
      action,
      outcome: err instanceof RefusedError ? 'refused' : 'failure',
      details: { error: err instanceof RefusedError ? err.message : (err as Error)?.name ?? 'Error' },
    }).catch(() => undefined)
    throw err
  }
}

/** A refusal the caller shows as a validation or permission message; audited as refused. */
export class RefusedError extends Error {}
/** Marker for errors already audited. */
export class NotAuditable extends Error {}
