// The merged multi-agency chronology of a child, or of a family (the child and their siblings and household
// children in the viewer's reach): every entry the viewer is entitled to see, from every agency, filtered and
// paged. Entries the viewer may not see are not there at all — not counted, not hinted at.
import { sql, type Transaction } from 'kysely'
import { childInReach, entryVisible, JOINED_FACTS, relationshipFacts } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'

export interface ChronologyFilter {
  agencyId?: string | null
  category?: string | null
  type?: string | null
  from?: string | null // YYYY-MM-DD, London
  to?: string | null
}

export const PAGE_SIZE = 50

export function chronologyRepository(ctx: Ctx, actor: Actor) {
  async function childrenInView(trx: Transaction<DB>, childId: string, family: boolean, now: Date) {
    const root = await trx.selectFrom('child as c').select(['c.id', 'c.given_name', 'c.family_name']).where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId).where(childInReach(actor, now)).executeTakeFirst()
    if (!root) return null
    if (!family) return [root]
    const related = await trx
      .selectFrom('child as c')
      .select(['c.id', 'c.given_name', 'c.family_name'])
      .where('c.partnership_id', '=', actor.partnershipId)
      .where('c.id', 'in', trx.selectFrom('family_member').select('related_child_id').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('related_child_id', 'is not', null) as never)
      .where(childInReach(actor, now))
      .orderBy('c.given_name')
      .execute()
    return [root, ...related]
  }

  return {
    async read(childId: string, opts: { family?: boolean; filter?: ChronologyFilter; page?: number; all?: boolean; action?: 'chronology.view' | 'chronology.export' | 'chronology.timeline'; format?: 'csv' | 'pdf' } = {}) {
      const action = opts.action ?? 'chronology.view'
      return auditedTransaction(ctx, actor, action, async (trx, now) => {
        const none = { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!isUuid(childId)) return none
        const children = await childrenInView(trx, childId, Boolean(opts.family), now)
        if (!children) return none
        const ids = children.map((c) => c.id)
        const f = opts.filter ?? {}
        // the viewer's relationships are worked out once per child, then each entry's visibility is checked against them
        const visible = () =>
          trx
            .selectFrom('entry as e')
            .innerJoin(relationshipFacts(trx, actor, now, ids).as('f'), 'f.child_id', 'e.child_id')
            .where('e.partnership_id', '=', actor.partnershipId)
            .where('e.child_id', 'in', ids)
            .where(entryVisible(actor, now, JOINED_FACTS))
        let base = visible()
        if (f.agencyId && isUuid(f.agencyId)) base = base.where('e.source_agency_id', '=', f.agencyId)
        if (f.category) base = base.where('e.category', '=', f.category)
        if (f.type) base = base.where('e.type', '=', f.type)
        if (f.from) base = base.where('e.occurred_at', '>=', sql<Date>`(${f.from}::date)::timestamp at time zone 'Europe/London'`)
        if (f.to) base = base.where('e.occurred_at', '<', sql<Date>`((${f.to}::date + 1)::timestamp at time zone 'Europe/London')`)
        const page = Math.max(1, Math.floor(opts.page ?? 1))
        const limit = opts.all ? 5000 : PAGE_SIZE
        const [rows, totals, facets] = await Promise.all([
          base
            .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
            .leftJoin('membership as m', 'm.id', 'e.author_membership_id')
            .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .select(['e.id', 'e.child_id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.recorded_at', 'e.significance', 'e.summary', 'e.visibility', 'e.supersedes_entry_id', 'e.source_agency_id', 'a.name as agency', 'a.kind as agency_kind', 'p.given_name', 'p.family_name', 'm.role'])
            .orderBy('e.occurred_at', 'desc')
            .orderBy('e.id')
            .limit(limit)
            .offset(opts.all ? 0 : (page - 1) * PAGE_SIZE)
            .execute(),
          base.select((eb) => [eb.fn.countAll<number>().as('n'), sql<number>`count(*) filter (where e.significance in ('high','critical'))::int`.as('significant')]).executeTakeFirstOrThrow(),
          // the filter choices come from what the viewer can see, so they reveal nothing more
          visible()
            .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
            .select(['e.source_agency_id', 'a.name', 'e.category', 'e.type'])
            .distinct()
            .execute(),
        ])
        const names = new Map(children.map((c) => [c.id, `${c.given_name} ${c.family_name}`]))
        const entries = rows.map((r) => ({ ...r, childName: names.get(r.child_id)!, author: r.given_name ? `${r.given_name} ${r.family_name}` : null }))
        const total = Number(totals.n)
        return {
          result: {
            children,
            entries,
            total,
            significant: Number(totals.significant),
            page,
            pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
            agencies: [...new Map(facets.map((x) => [x.source_agency_id, x.name])).entries()].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)),
            categories: [...new Set(facets.flatMap((x) => (x.category ? [x.category] : [])))].sort(),
            types: [...new Set(facets.map((x) => x.type))].sort(),
          },
          audit: { action, outcome: 'success', entityType: 'child', entityId: childId, childIds: ids, details: { family: Boolean(opts.family), filter: f, page, returned: entries.length, ...(opts.format ? { format: opts.format } : {}) } },
        }
      })
    },
  }
}
