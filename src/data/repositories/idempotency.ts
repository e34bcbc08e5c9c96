// The API's idempotency keys (security requirement 21; the IETF Idempotency-Key header draft): the first request
// with a key claims it before anything is written, so a second one can never create a second record — while the
// first is running the second is told to retry (409), afterwards it gets the first one's response again, and the
// same key with a different body is refused (422). A claim whose request failed on the server (5xx) is released
// so the client can retry with the same key. Keys live 24 hours. The create itself is audited by its repository; an
// answer sent again (a replay) is audited as such (`claim`'s auditReplayAs), naming the children the create's audit rows named.
import { sql } from 'kysely'
import type { Actor } from '../actor.ts'
import { writeAudit } from '../audit.ts'
import type { Ctx } from '../unit-of-work.ts'

export const IDEMPOTENCY_KEY_HOURS = 24

export interface KeyOwner {
  partnershipId: string
  practitionerId: string
  key: string
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string; contentType: string | null }
  | { kind: 'in_progress' }
  /** pending: the first request with the key is still running (it may yet fail and release the key) */
  | { kind: 'mismatch'; pending: boolean }

export function idempotencyRepository(ctx: Ctx) {
  const where = (o: KeyOwner) => ctx.db.selectFrom('idempotency_key').where('partnership_id', '=', o.partnershipId).where('practitioner_id', '=', o.practitionerId).where('key', '=', o.key)
  return {
    /**
     * Claims the key for this request, or finds what became of it. With `auditReplayAs` (the API's creates), a kept
     * answer found is audited before it is returned — a look at what it names — so no replay leaves unaudited.
     */
    async claim(o: KeyOwner, request: { method: string; path: string; hash: string; requestId: string }, auditReplayAs?: Actor): Promise<Claim> {
      const now = ctx.clock.now()
      const expires = new Date(now.getTime() + IDEMPOTENCY_KEY_HOURS * 3_600_000)
      const fresh = { method: request.method, path: request.path, request_hash: request.hash, state: 'pending' as const, status_code: null, response: null, content_type: null, created_at: now, expires_at: expires, request_id: request.requestId, child_ids: [] }
      const claimed = await ctx.db
        .insertInto('idempotency_key')
        .values({ partnership_id: o.partnershipId, practitioner_id: o.practitionerId, key: o.key, ...fresh })
        // an expired key may be used again
        .onConflict((oc) => oc.columns(['partnership_id', 'practitioner_id', 'key']).doUpdateSet(fresh).where('idempotency_key.expires_at', '<=', now))
        .returning('state')
        .executeTakeFirst()
      if (claimed) return { kind: 'new' }
      const existing = await where(o).select(['method', 'path', 'request_hash', 'state', 'status_code', 'response', 'content_type', 'request_id', 'child_ids']).executeTakeFirst()
      if (!existing) return { kind: 'in_progress' } // released between the two statements: the client retries
      if (existing.method !== request.method || existing.path !== request.path || existing.request_hash !== request.hash) return { kind: 'mismatch', pending: existing.state === 'pending' || existing.status_code === null }
      if (existing.state === 'pending' || existing.status_code === null) return { kind: 'in_progress' }
      if (auditReplayAs) {
        await writeAudit(ctx.db, auditReplayAs, ctx.clock.now(), {
          action: 'api.replay',
          outcome: 'success',
          entityType: 'request',
          entityId: existing.request_id,
          childIds: existing.child_ids,
          details: { method: request.method, path: request.path, status: existing.status_code },
        })
      }
      return { kind: 'replay', status: existing.status_code, body: existing.response ?? '', contentType: existing.content_type }
    },

    async complete(o: KeyOwner, status: number, body: string, contentType: string | null): Promise<void> {
      await ctx.db
        .updateTable('idempotency_key')
        .set({
          state: 'done',
          status_code: status,
          response: body,
          content_type: contentType,
          // the children the request's audit rows named (written since the key was claimed, with its request id)
          child_ids: sql<string[]>`coalesce((select array_agg(distinct c) from audit_event ae cross join lateral unnest(ae.child_ids) c
            where ae.partnership_id = idempotency_key.partnership_id and ae.at >= idempotency_key.created_at and ae.request_id = idempotency_key.request_id), '{}')`,
        })
        .where('partnership_id', '=', o.partnershipId)
        .where('practitioner_id', '=', o.practitionerId)
        .where('key', '=', o.key)
        .where('state', '=', 'pending')
        .execute()
    },

    async release(o: KeyOwner): Promise<void> {
      await ctx.db.deleteFrom('idempotency_key').where('partnership_id', '=', o.partnershipId).where('practitioner_id', '=', o.practitionerId).where('key', '=', o.key).where('state', '=', 'pending').execute()
    },
  }
}
