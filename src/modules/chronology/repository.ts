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

interface RowJson {
  id: string
  child_id: string
  type: string
  category: string | null
  occurred_at: string
  occurred_time_known: boolean
  recorded_at: string
  significance: 'low' | 'medium' | 'high' | 'critical'
  summary: string
  visibility: 'agency' | 'team' | 'front_door' | 'restricted' | 'sealed'
  supersedes_entry_id: string | null
  source_agency_id: string
  agency: string
  agency_kind: string
  given_name: string | null
  family_name: string | null
  role: string | null
}

interface FacetJson {
  source_agency_id: string
  name: string
  category: string | null
  type: string
}

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
        // One statement (one plan, one round trip): the entries the viewer may see (vis), the filtered ones (v), and
        // from them the page of rows, the counts and the filter choices — which come from everything visible, so a
        // filter reveals nothing more.
        const vis = visible().select(['e.id', 'e.child_id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.recorded_at', 'e.significance', 'e.summary', 'e.visibility', 'e.supersedes_entry_id', 'e.source_agency_id', 'e.author_membership_id'])
        const conditions = [sql`true`]
        if (f.agencyId && isUuid(f.agencyId)) conditions.push(sql`source_agency_id = ${f.agencyId}::uuid`)
        if (f.category) conditions.push(sql`category = ${f.category}`)
        if (f.type) conditions.push(sql`type = ${f.type}`)
        if (f.from) conditions.push(sql`occurred_at >= (${f.from}::date)::timestamp at time zone 'Europe/London'`)
        if (f.to) conditions.push(sql`occurred_at < ((${f.to}::date + 1)::timestamp at time zone 'Europe/London')`)
        const page = Math.max(1, Math.floor(opts.page ?? 1))
        const limit = opts.all ? 5000 : PAGE_SIZE
        const offset = opts.all ? 0 : (page - 1) * PAGE_SIZE
        const one = await sql<{ rows: RowJson[] | null; n: number; significant: number; facets: FacetJson[] | null }>`
          with vis as (${vis}),
          v as (select * from vis where ${sql.join(conditions, sql` and `)})
          select
            (select json_agg(r) from (
               select v.id, v.child_id, v.type, v.category, v.occurred_at, v.occurred_time_known, v.recorded_at, v.significance, v.summary, v.visibility,
                      v.supersedes_entry_id, v.source_agency_id, a.name as agency, a.kind as agency_kind, p.given_name, p.family_name, m.role
               from v
               join agency a on a.id = v.source_agency_id
               left join membership m on m.id = v.author_membership_id
               left join practitioner p on p.id = m.practitioner_id
               order by v.occurred_at desc, v.id
               limit ${limit} offset ${offset}) r) as rows,
            (select count(*)::int from v) as n,
            (select count(*) filter (where v.significance in ('high','critical'))::int from v) as significant,
            (select json_agg(distinct jsonb_build_object('source_agency_id', vis.source_agency_id, 'name', a.name, 'category', vis.category, 'type', vis.type))
               from vis join agency a on a.id = vis.source_agency_id) as facets`.execute(trx)
        const totals = one.rows[0]!
        const rows = (totals.rows ?? []).map((r) => ({ ...r, occurred_at: new Date(r.occurred_at), recorded_at: new Date(r.recorded_at) }))
        const facets = totals.facets ?? []
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
