// "Who has looked at this record": the audit rows naming a child. For team managers with the child in reach, and
// for information-governance officers across their partnership (identity of the child only: no case content).
import { sql } from 'kysely'
import { childInReach } from '../access-sql.ts'
import type { Actor } from '../actor.ts'
import { auditedTransaction, type Ctx } from '../unit-of-work.ts'
import { isUuid } from './children.ts'

export interface AccessLogRow {
  at: Date
  action: string
  outcome: string
  who: string | null
  role: string | null
  agency: string | null
  relationshipType: string | null
  actorKind: string
}

export function accessLogRepository(ctx: Ctx, actor: Actor) {
  return {
    /** IG officers find a record by NHS number to see who has looked at it (identity only; the search is audited). */
    async findByNhsNumber(nhsNumber: string): Promise<string | null> {
      return auditedTransaction(ctx, actor, 'audit.access-log.search', async (trx, now) => {
        const digits = nhsNumber.replace(/\s+/g, '')
        let q = trx.selectFrom('child as c').select('c.id').where('c.partnership_id', '=', actor.partnershipId).where('c.nhs_number', '=', digits)
        // managers only find children in their reach: existence is not revealed
        if (actor.role !== 'ig_officer') q = q.where(childInReach(actor, now))
        const row = /^\d{10}$/.test(digits) ? await q.executeTakeFirst() : undefined
        return {
          result: row?.id ?? null,
          audit: { action: 'audit.access-log.search', outcome: row ? 'success' : 'not_found', childIds: row ? [row.id] : [], details: { by: 'nhs_number' } },
        }
      })
    },

    async forChild(childId: string, opts: { limit?: number } = {}): Promise<{ child: { id: string; name: string }; rows: AccessLogRow[] } | null> {
      return auditedTransaction(ctx, actor, 'audit.access-log', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'audit.access-log', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!isUuid(childId)) return notFound
        let q = trx.selectFrom('child as c').select(['c.id', 'c.given_name', 'c.family_name']).where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId)
        if (actor.role !== 'ig_officer') q = q.where(childInReach(actor, now))
        const child = await q.executeTakeFirst()
        if (!child) return notFound
        const rows = await trx
          .selectFrom('audit_event as a')
          .leftJoin('practitioner as p', 'p.id', 'a.actor_practitioner_id')
          .leftJoin('membership as m', 'm.id', 'a.actor_membership_id')
          .leftJoin('agency as ag', 'ag.id', 'm.agency_id')
          .leftJoin('relationship as r', 'r.id', 'a.relationship_id')
          .select(['a.at', 'a.action', 'a.outcome', 'a.actor_kind', 'p.given_name', 'p.family_name', 'm.role', 'ag.name as agency_name', 'r.type as relationship_type'])
          .where('a.partnership_id', '=', actor.partnershipId)
          // an array value here would be spliced in as a list (`($1)`), not bound as one uuid[] parameter
          .where('a.child_ids', '@>', sql<string[]>`array[${childId}]::uuid[]`)
          .orderBy('a.id', 'desc')
          .limit(opts.limit ?? 200)
          .execute()
        return {
          result: {
            child: { id: child.id, name: `${child.given_name} ${child.family_name}` },
            rows: rows.map((r) => ({
              at: r.at,
              action: r.action,
              outcome: r.outcome,
              who: r.given_name ? `${r.given_name} ${r.family_name}` : null,
              role: r.role,
              agency: r.agency_name,
              relationshipType: r.relationship_type,
              actorKind: r.actor_kind,
            })),
          },
          audit: { action: 'audit.access-log', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId] },
        }
      })
    },
  }
}
