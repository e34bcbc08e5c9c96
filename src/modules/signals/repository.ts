// Fired signals, for the people they were routed to: see them, and acknowledge each with a recorded response.
import { sql } from 'kysely'
import { childInReach, entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'

export function signalsRepository(ctx: Ctx, actor: Actor) {
  return {
    async mine() {
      return auditedTransaction(ctx, actor, 'signal.list', async (trx, now) => {
        const rows = await trx
          .selectFrom('risk_signal as s')
          .innerJoin('child as c', 'c.id', 's.child_id')
          .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
          .select(['s.id', 's.child_id', 's.fired_at', 's.acknowledged_at', 's.response', 's.entry_ids', 'r.name as rule_name', 'c.given_name', 'c.family_name'])
          .where('s.partnership_id', '=', actor.partnershipId)
          .where(sql<boolean>`${actor.membershipId}::uuid = any(s.routed_to)`)
          .where(childInReach(actor, now) as never)
          .orderBy('s.acknowledged_at', 'desc')
          .orderBy('s.fired_at', 'desc')
          .limit(200)
          .execute()
        return { result: rows, audit: { action: 'signal.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))] } }
      })
    },

    async get(id: string) {
      return auditedTransaction(ctx, actor, 'signal.view', async (trx, now) => {
        const none = { result: null, audit: { action: 'signal.view', outcome: 'not_found' as const, entityId: id } }
        if (!isUuid(id)) return none
        const s = await trx
          .selectFrom('risk_signal as s')
          .innerJoin('child as c', 'c.id', 's.child_id')
          .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
          .selectAll('s')
          .select(['r.name as rule_name', 'c.given_name', 'c.family_name'])
          .where('s.partnership_id', '=', actor.partnershipId)
          .where('s.id', '=', id)
          .where(sql<boolean>`${actor.membershipId}::uuid = any(s.routed_to)`)
          .where(childInReach(actor, now) as never)
          .executeTakeFirst()
        if (!s) return none
        // the entries that caused it: the system named them; the viewer sees the ones their visibility allows
        const entries = await trx
          .selectFrom('entry as e')
          .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
          .select(['e.id', 'e.type', 'e.category', 'e.occurred_at', 'e.summary', 'e.visibility', 'a.name as agency'])
          .where('e.partnership_id', '=', actor.partnershipId)
          .where('e.id', 'in', s.entry_ids.length ? s.entry_ids : ['00000000-0000-0000-0000-000000000000'])
          .where(entryVisible(actor, now))
          .orderBy('e.occurred_at')
          .execute()
        return { result: { signal: s, entries }, audit: { action: 'signal.view', outcome: 'success', entityType: 'risk_signal', entityId: id, childIds: [s.child_id] } }
      })
    },

    async acknowledge(id: string, response: string) {
      return auditedTransaction(ctx, actor, 'signal.acknowledge', async (trx, now) => {
        const none = { result: null, audit: { action: 'signal.acknowledge', outcome: 'not_found' as const, entityId: id } }
        if (!isUuid(id)) return none
        const s = await trx.selectFrom('risk_signal').select(['id', 'child_id', 'acknowledged_at']).where('partnership_id', '=', actor.partnershipId).where('id', '=', id).where(sql<boolean>`${actor.membershipId}::uuid = any(routed_to)`).forUpdate().executeTakeFirst()
        if (!s) return none
        if (s.acknowledged_at) throw new RefusedError('This signal has already been acknowledged')
        await trx.updateTable('risk_signal').set({ acknowledged_at: now, acknowledged_by: actor.membershipId, response }).where('id', '=', id).execute()
        return { result: { ok: true }, audit: { action: 'signal.acknowledge', outcome: 'success', entityType: 'risk_signal', entityId: id, childIds: [s.child_id] } }
      })
    },
  }
}
