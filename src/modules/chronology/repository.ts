// The merged multi-agency chronology of a child, or of a family (the child and their siblings and household
// children in the viewer's reach): every entry the viewer is entitled to see, from every agency, filtered and
// paged. Entries the viewer may not see are not there at all — not counted, not hinted at.
import { sql, type CompiledQuery, type RawBuilder, type SqlBool } from 'kysely'
import { childInReachByFacts, entryVisible, JOINED_FACTS, relationshipFacts } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { auditDetails, auditValues, writeAudit } from '../../data/audit.ts'
import { auditedTransaction, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { newestFirst } from '../../data/repositories/entries.ts'
import { actorKey, statementCache } from '../../data/compiled-statements.ts'
import { categoryLabelsJson, type CategoryLabels } from '../../data/category-labels.ts'

export interface ChronologyFilter {
  agencyId?: string | null
  category?: string | null
  type?: string | null
  from?: string | null // YYYY-MM-DD, London
  to?: string | null
}

export const PAGE_SIZE = 50
/** The most entries one export (CSV, PDF) or one timeline holds; a longer chronology is exported in parts (by date or agency). */
export const EXPORT_LIMIT = 5000

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
  supersedes_entry_id: string | null
  /** A child's or parent's dispute is recorded beside the entry (src/modules/sar/disputes.ts). */
  disputed: boolean
  agency: string
  given_name: string | null
  family_name: string | null
  role: string | null
}

interface ChildJson {
  id: string
  given_name: string
  family_name: string
}

type Action = 'chronology.view' | 'chronology.export' | 'chronology.timeline'

type Result = { children: ChildJson[] | null; rows: RowJson[] | null; n: number; significant: number; agencies: { id: string; name: string }[] | null; categories: string[] | null; category_labels: CategoryLabels | null; types: string[] | null }

/** What, besides the actor, decides the chronology statement's text: the family or not, the filters given, export or page. */
interface Shape {
  family: boolean
  all: boolean
  action: Action
  agency: boolean
  category: boolean
  type: boolean
  from: boolean
  to: boolean
}

/**
 * Stand-ins for a request's own values while the statement is built (src/data/compiled-statements.ts): the compiled
 * statement is kept, and each request puts its values in place of these.
 */
const SLOT = {
  child: '\u0000child',
  now: new Date(0),
  requestId: '\u0000request',
  details: '\u0000details',
  agency: '\u0000agency',
  category: '\u0000category',
  type: '\u0000type',
  from: '\u0000from',
  to: '\u0000to',
  limit: '\u0000limit',
  offset: '\u0000offset',
} as const
type Slot = keyof typeof SLOT

/**
 * The compiled statements, by actor and shape. Building and compiling the statement with Kysely cost about half a
 * millisecond of the server's time on every page; the text depends only on the viewer (their partnership, membership,
 * agency, team and role: the access predicates are built from them, and their own values stay in the statement) and
 * the shape, so it is built once for each.
 */
const statements = statementCache(SLOT)

function statementFor(db: Ctx['db'], actor: Actor, shape: Shape, values: Record<Slot, unknown>): CompiledQuery {
  return statements.fill(`${actorKey(actor)}${JSON.stringify(shape)}`, () => buildStatement(db, { ...actor, requestId: SLOT.requestId }, shape), values)
}

function buildStatement(db: Ctx['db'], actor: Actor, shape: Shape): CompiledQuery {
  const childId = SLOT.child
  const now = SLOT.now
  const family = shape.family
  const p = actor.partnershipId
  // the children asked about: the child, and their related children when the family is asked for
  const candidates = family
    ? sql<string>`(select ${childId}::uuid union all select fm.related_child_id from family_member fm where fm.partnership_id = ${p}::uuid and fm.child_id = ${childId}::uuid and fm.related_child_id is not null)`
    : sql<string>`(${childId}::uuid)`
  // ...of which those in the viewer's reach, each with the viewer's relationships to it worked out once (the
  // facts), so that each entry's visibility is checked against them rather than re-checking relationships
  const kids = db
    .selectFrom('child as c')
    .innerJoin(relationshipFacts(db, actor, now, candidates).as('f'), 'f.child_id', 'c.id')
    .select(['c.id', 'c.given_name', 'c.family_name', 'f.break_glass', 'f.allocated'])
    .where('c.partnership_id', '=', p)
    .where(childInReachByFacts(actor))
  const conditions: RawBuilder<unknown>[] = [sql`true`]
  if (shape.agency) conditions.push(sql`e.source_agency_id = ${SLOT.agency}::uuid`)
  if (shape.category) conditions.push(sql`e.category = ${SLOT.category}`)
  if (shape.type) conditions.push(sql`e.type = ${SLOT.type}`)
  if (shape.from) conditions.push(sql`e.occurred_at >= (${SLOT.from}::date)::timestamp at time zone 'Europe/London'`)
  if (shape.to) conditions.push(sql`e.occurred_at < ((${SLOT.to}::date + 1)::timestamp at time zone 'Europe/London')`)
  const cond = sql.join(conditions, sql` and `)
  // nothing at all unless the child asked for is in reach
  const asked = sql<boolean>`exists (select 1 from kids where kids.id = ${childId}::uuid)`
  const kidsRef = sql<{ id: string; break_glass: boolean; allocated: boolean }>`kids`
  // the counts of the filtered entries, and the filter choices, which come from everything visible so that a filter
  // reveals nothing more: one pass over the visible entries, keeping no copy of them
  const tally = db
    .selectFrom(kidsRef.as('f'))
    .innerJoin('entry as e', 'e.child_id', 'f.id')
    .where('e.partnership_id', '=', p)
    .where(asked)
    .where(entryVisible(actor, now, JOINED_FACTS))
    .select([
      sql<number>`(count(*) filter (where ${cond}))::int`.as('n'),
      sql<number>`(count(*) filter (where ${cond} and e.significance in ('high', 'critical')))::int`.as('significant'),
      sql<string[]>`array_agg(distinct e.source_agency_id)`.as('agency_ids'),
      sql<string[]>`array_agg(distinct e.category) filter (where e.category is not null)`.as('categories'),
      sql<string[]>`array_agg(distinct e.type)`.as('types'),
    ])
  const limit = sql<number>`${SLOT.limit}::int`
  const offset = sql<number>`${SLOT.offset}::int`
  // the page: for each child in view (f), its visible entries newest first, read in the order of the (child,
  // occurred_at, recorded_at, id) index and only as far as the page needs; then merged, and cut to the page
  const childPage = db
    .selectFrom('entry as e')
    .select(['e.id', 'e.child_id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.recorded_at', 'e.significance', 'e.summary', 'e.supersedes_entry_id', 'e.source_agency_id', 'e.author_membership_id'])
    .where('e.partnership_id', '=', p)
    .where('e.child_id', '=', sql.ref<string>('f.id'))
    .where(entryVisible(actor, now, JOINED_FACTS))
    .where(cond as RawBuilder<SqlBool>)
    .orderBy(newestFirst('e'))
    .limit(sql<number>`${limit} + ${offset}`)
  const page = sql`select e.* from kids f cross join lateral ${childPage} as e
    where ${asked}
    order by ${newestFirst('e')} limit ${limit} offset ${offset}`
  // the entry a page entry corrects, named only when the viewer may see it too: a correction of something hidden
  // says nothing of what it corrected
  const originalVisible = db
    .selectFrom(kidsRef.as('f'))
    .innerJoin('entry as e', 'e.child_id', 'f.id')
    .select(sql<number>`1`.as('one'))
    .where('e.partnership_id', '=', p)
    .where('e.id', '=', sql.ref<string>('pe.supersedes_entry_id'))
    .where(entryVisible(actor, now, JOINED_FACTS))
  const audit = auditValues(actor, now, { action: shape.action, outcome: 'success', entityType: 'child', entityId: childId })
  const details = SLOT.details
  // an export holds everything the viewer may see or nothing (the route refuses one longer than a download holds, and
  // nothing leaves): its audit row says so, 'refused' with nothing returned, rather than an export that never happened
  const refused = sql`(select t.n from t) > ${limit}`
  // ...and one whose agency, category or type is not among the filter's choices (the lists in t, from everything the
  // viewer may see) is refused by the route with the page's message, nothing leaving: audited so here, as the route
  // decides it (src/modules/chronology/routes.ts, choiceErrors: the agency's id as text, as the lists give it). Only
  // in an export's statement, and only for the filters its shape has; the page's statement is as it was.
  const unlistedChecks: RawBuilder<unknown>[] = []
  const exporting = shape.action === 'chronology.export'
  if (exporting && shape.agency) unlistedChecks.push(sql`not coalesce(${SLOT.agency}::text = any(t.agency_ids::text[]), false)`)
  if (exporting && shape.category) unlistedChecks.push(sql`not coalesce(${SLOT.category}::text = any(t.categories), false)`)
  if (exporting && shape.type) unlistedChecks.push(sql`not coalesce(${SLOT.type}::text = any(t.types), false)`)
  const unlisted = unlistedChecks.length ? sql`(select ${sql.join(unlistedChecks, sql` or `)} from t)` : null
  const unlistedOutcome = unlisted ? sql`when ${unlisted} then 'refused'` : sql``
  const unlistedReturned = unlisted ? sql`when ${unlisted} then jsonb_build_object('returned', 0, 'refusedBecause', 'a filter value not among the choices')` : sql``
  const outcome = exporting ? sql`case when not ok then 'not_found' ${unlistedOutcome} when ${refused} then 'refused' else 'success' end` : sql`case when ok then 'success' else 'not_found' end`
  const returned = exporting
    ? sql`case ${unlistedReturned} when ${refused} then jsonb_build_object('returned', 0, 'visible', (select t.n from t), 'refusedBecause', 'more entries than one download holds') else jsonb_build_object('returned', (select count(*) from pg)) end`
    : sql`jsonb_build_object('returned', (select count(*) from pg))`
  // the children in view (kids), the counts and choices (t), the page (pg, then its full rows), and the audit row
  // (a) — in the same statement as the read, so it commits with it or not at all
  return sql<Result>`/* prepared */
    with kids as materialized (${kids}),
    t as (${tally}),
    pg as materialized (${page}),
    a as (
      insert into audit_event (partnership_id, at, actor_kind, actor_practitioner_id, actor_membership_id, action, entity_type, entity_id, child_ids, relationship_id, outcome, request_id, details)
      select ${audit.partnership_id}::uuid, ${audit.at}::timestamptz, ${audit.actor_kind}::text, ${audit.actor_practitioner_id}::uuid, ${audit.actor_membership_id}::uuid, ${audit.action}::text,
             ${audit.entity_type}::text, ${audit.entity_id}::text,
             case when ok then array(select id from kids order by id <> ${childId}::uuid, given_name) else '{}'::uuid[] end,
             null, ${outcome}, ${audit.request_id}::text,
             case when ok then ${details}::jsonb || ${returned} else '{}'::jsonb end
      from (select ${asked} as ok) x
    )
    select
      (select json_agg(json_build_object('id', k.id, 'given_name', k.given_name, 'family_name', k.family_name) order by k.id <> ${childId}::uuid, k.given_name)
         from kids k where ${asked}) as children,
      (select json_agg(r order by ${newestFirst('r')}) from (
         select pe.id, pe.child_id, pe.type, pe.category, pe.occurred_at, pe.occurred_time_known, pe.recorded_at, pe.significance, pe.summary,
                case when pe.supersedes_entry_id is not null and exists (${originalVisible}) then pe.supersedes_entry_id end as supersedes_entry_id,
                ag.name as agency, pr.given_name, pr.family_name, m.role,
                (d.entry_id is not null) as disputed
         from pg pe
         join agency ag on ag.id = pe.source_agency_id
         left join membership m on m.id = pe.author_membership_id
         left join practitioner pr on pr.id = m.practitioner_id
         -- the page's disputed entries, found once by the (partnership, entry) index, not a probe per row
         left join (select distinct ed.entry_id from entry_dispute ed where ed.partnership_id = ${p}::uuid and ed.entry_id in (select id from pg)) d on d.entry_id = pe.id) r) as rows,
      coalesce(t.n, 0) as n, coalesce(t.significant, 0) as significant,
      (select json_agg(json_build_object('id', ag.id, 'name', ag.name)) from agency ag where ag.partnership_id = ${p}::uuid and ag.id = any(t.agency_ids)) as agencies,
      t.categories, t.types,
      -- the partnership's names of those categories (the page's rows and choices are among them)
      ${categoryLabelsJson(p, sql`t.categories`)} as category_labels
    from t`.compile(db)
}

export function chronologyRepository(ctx: Ctx, actor: Actor) {
  return {
    /**
     * One statement — so one round trip and one implicit transaction — reads the children in view (the child, and
     * with `family` their brothers, sisters and household children, each only if in the viewer's reach), the entries
     * the viewer may see, the page of them, the counts and the filter choices, and writes the audit row: 'success'
     * with what was returned, or 'not_found' when the child is absent or out of reach (null); an export the route
     * refuses (longer than a download holds, or filtered by a value not among the choices) 'refused', nothing returned.
     */
    async read(childId: string, opts: { family?: boolean; filter?: ChronologyFilter; page?: number; all?: boolean; action?: Action; format?: 'csv' | 'pdf' } = {}) {
      const action = opts.action ?? 'chronology.view'
      if (!isUuid(childId)) {
        return auditedTransaction(ctx, actor, action, async () => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType: 'child', entityId: childId } }))
      }
      const now = ctx.clock.now()
      const family = Boolean(opts.family)
      const f = opts.filter ?? {}
      const page = Math.max(1, Math.floor(opts.page ?? 1))
      const all = Boolean(opts.all)
      const shape: Shape = {
        family,
        all,
        action,
        agency: Boolean(f.agencyId && isUuid(f.agencyId)),
        category: Boolean(f.category),
        type: Boolean(f.type),
        from: Boolean(f.from),
        to: Boolean(f.to),
      }
      const details = auditDetails(actor, { family, filter: f, page, ...(opts.format ? { format: opts.format } : {}) })
      // the statement's text depends only on the actor and the shape; this request's values go in its parameters (a
      // value for every slot, or this does not compile)
      const values: Record<Slot, unknown> = {
        child: childId,
        now,
        requestId: actor.requestId,
        details,
        agency: f.agencyId,
        category: f.category,
        type: f.type,
        from: f.from,
        to: f.to,
        limit: all ? EXPORT_LIMIT : PAGE_SIZE,
        offset: all ? 0 : (page - 1) * PAGE_SIZE,
      }
      const db = ctx.db
      try {
        const one = await db.executeQuery<Result>(statementFor(db, actor, shape, values))
        const got = one.rows[0]!
        if (!got.children) return null
        const children = got.children
        const names = new Map(children.map((c) => [c.id, `${c.given_name} ${c.family_name}`]))
        const entries = (got.rows ?? []).map((r) => ({
          ...r,
          occurred_at: new Date(r.occurred_at),
          recorded_at: new Date(r.recorded_at),
          childName: names.get(r.child_id)!,
          author: r.given_name ? `${r.given_name} ${r.family_name}` : null,
        }))
        const total = Number(got.n)
        return {
          children,
          entries,
          total,
          significant: Number(got.significant),
          page,
          pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
          agencies: (got.agencies ?? []).sort((x, y) => x.name.localeCompare(y.name)),
          categories: (got.categories ?? []).sort(),
          /** The partnership's label of each of those categories it has (code → label); the rest are shown humanised. */
          categoryLabels: got.category_labels ?? {},
          types: (got.types ?? []).sort(),
        }
      } catch (err) {
        // as auditedTransaction does: the failure is audited in a statement of its own
        await writeAudit(db, actor, now, { action, outcome: 'failure', details: { error: (err as Error)?.name ?? 'Error' } }).catch(() => undefined)
        throw err
      }
    },
  }
}
