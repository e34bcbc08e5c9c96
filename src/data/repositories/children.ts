// Children as the acting practitioner may see them. Out of scope and absent are the same: null.
import { sql, type Expression, type Selectable, type SqlBool, type Transaction } from 'kysely'
import { CONFIDENTIAL_ADDRESS_ROLES, REACH, type Role } from '../../access/policy.ts'
import { childInReach, entryVisible, JOINED_FACTS, reachingRelationships, relationshipFacts, type Facts } from '../access-sql.ts'
import type { Actor } from '../actor.ts'
import { auditValues, writeAudit } from '../audit.ts'
import { currentMembershipsQuery } from '../memberships.ts'
import type { ChildTable, DB, RelationshipType } from '../schema.ts'
import { auditedTransaction, type Ctx } from '../unit-of-work.ts'
import { COUNT_CAP, entryPage, entryView, type EntryView } from './entries.ts'
import { categoryLabelsJson, type CategoryLabels } from '../category-labels.ts'

export interface MyChild {
  id: string
  givenName: string
  familyName: string
  dateOfBirth: string | null
  expectedDateOfBirth: string | null
  flags: { childInNeed: boolean; childProtectionPlan: boolean; lookedAfter: boolean }
  why: RelationshipType[]
}

export interface ChildSummary {
  id: string
  givenName: string
  familyName: string
  otherNames: { kind: string; givenName: string; familyName: string }[]
  dateOfBirth: string | null
  expectedDateOfBirth: string | null
  sex: string
  nhsNumber: string | null
  upn: string | null
  ethnicity: string | null
  firstLanguage: string | null
  interpreterNeeded: boolean
  disability: string | null
  senStatus: string
  provisional: boolean
  flags: { childInNeed: boolean; childProtectionPlan: boolean; lookedAfter: boolean }
  addresses: {
    line1: string
    line2: string | null
    town: string | null
    postcode: string | null
    fromDate: string
    toDate: string | null
    confidential: boolean
  }[]
  /** Confidential addresses exist that this viewer may not see. */
  addressesWithheld: number
  family: { name: string; relationship: string; parentalResponsibility: boolean; sameHousehold: boolean; phone: string | null; relatedChildId: string | null }[]
  involved: InvolvedAgency[]
  /** Why the viewer can see this child. */
  why: { type: RelationshipType; reason: string; since: Date }[]
}

export interface InvolvedAgency {
  agencyId: string
  agencyName: string
  agencyKind: string
  phone: string | null
  email: string | null
  people: { name: string; role: string; team: string | null; phone: string | null; email: string; relationship: RelationshipType; since: Date }[]
  teams: { name: string; phone: string | null; email: string | null; relationship: RelationshipType }[]
  roles: RelationshipType[]
}

/** The most children a list of "my children" holds (the home page, the API's list, the forms' lists of children to
 * choose from): beyond it, the list says there are more. */
export const MY_CHILDREN_LIMIT = 500

export function childrenRepository(ctx: Ctx, actor: Actor) {
  /** The first `limit` of my children (by name), and whether there are more than that: a list that stops at its
   * limit says so, rather than giving its length as the number of children (the audit names those listed). Children
   * already `chosen` (found by a search, or sent back with a form) that the first `limit` leave off are listed too,
   * ahead of them, when they are in reach by the same relationships (one not in reach is simply not listed). */
  async function listMine(limit: number, chosen: readonly string[] = []): Promise<{ children: MyChild[]; more: boolean }> {
    return auditedTransaction(ctx, actor, 'child.list', async (trx, now) => {
      if (!REACH[actor.role].identity) return { result: { children: [], more: false }, audit: { action: 'child.list', outcome: 'success', details: { list: 'my-children', count: 0 } } }
      const mine = () =>
        trx
          .with('r', () => reachingRelationships(trx, actor, now))
          .selectFrom('r')
          .innerJoin('child as c', (j) => j.onRef('c.id', '=', 'r.child_id').on('c.partnership_id', '=', actor.partnershipId))
          .select([
            'c.id',
            'c.given_name',
            'c.family_name',
            'c.date_of_birth',
            'c.expected_date_of_birth',
            'c.child_in_need',
            'c.child_protection_plan',
            'c.looked_after',
            sql<RelationshipType[]>`array_agg(distinct r.type)`.as('why'),
          ])
          .groupBy(['c.id'])
          .orderBy('c.family_name')
          .orderBy('c.given_name')
      const rows = await mine().limit(limit + 1).execute()
      const more = rows.length > limit
      const first = rows.slice(0, limit)
      // when the list is whole, a chosen child it does not hold is not in reach: no second query
      const listed = new Set(first.map((r) => r.id))
      const beyond = more ? [...new Set(chosen.map((id) => id.toLowerCase()))].filter((id) => isUuid(id) && !listed.has(id)).slice(0, limit) : []
      const extra = beyond.length ? await mine().where('c.id', 'in', beyond).execute() : []
      const result = [...extra, ...first].map((r) => ({
        id: r.id,
        givenName: r.given_name,
        familyName: r.family_name,
        dateOfBirth: r.date_of_birth,
        expectedDateOfBirth: r.expected_date_of_birth,
        flags: { childInNeed: r.child_in_need, childProtectionPlan: r.child_protection_plan, lookedAfter: r.looked_after },
        why: r.why,
      }))
      return { result: { children: result, more }, audit: { action: 'child.list', outcome: 'success', childIds: result.map((c) => c.id), details: { list: 'my-children', count: result.length, ...(more ? { more: true } : {}) } } }
    })
  }

  return {
    /** "My children": every child reached through my current relationships, with why. One audit row with the ids. */
    async mine(opts: { limit?: number } = {}): Promise<MyChild[]> {
      return (await listMine(opts.limit ?? MY_CHILDREN_LIMIT)).children
    },

    mineFirst: listMine,

    /** The child summary: identity, flags, addresses (confidential ones only for named roles), family, who is involved. */
    async summary(childId: string): Promise<ChildSummary | null> {
      return auditedTransaction(ctx, actor, 'child.view', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'child.view', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!isUuid(childId)) return notFound
        const c = await trx
          .selectFrom('child as c')
          .selectAll('c')
          .where('c.id', '=', childId)
          .where('c.partnership_id', '=', actor.partnershipId)
          .where(childInReach(actor, now))
          .executeTakeFirst()
        if (!c) return notFound
        const [why, names, addresses, family, involved] = await Promise.all([
          reachingRelationships(trx, actor, now)
            .where('r.child_id', '=', childId)
            .select(['r.reason', 'r.starts_at'])
            .orderBy('r.starts_at')
            .execute(),
          trx.selectFrom('child_name').selectAll().where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).execute(),
          trx.selectFrom('child_address').selectAll().where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).orderBy('from_date', 'desc').execute(),
          trx.selectFrom('family_member').selectAll().where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).orderBy('name').execute(),
          involvedAgencies(trx, actor.partnershipId, childId, now),
        ])
        const result = summaryFrom(actor, c, { why, names, addresses, family, involved })
        return {
          result,
          audit: { action: 'child.view', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: why[0]?.id ?? null },
        }
      })
    },

    /**
     * The child page's reads in one statement (one round trip, one implicit transaction): the summary (as summary)
     * and the latest entries the viewer may see with how many there are (as entries.forChild), and their two audit
     * rows ('child.view', then 'entry.list') written by the same statement. Null — audited as not found — when
     * the child is absent or out of reach.
     */
    async page(childId: string, opts: { entries?: number } = {}): Promise<{ child: ChildSummary; entries: EntryView[]; categoryLabels: CategoryLabels; total: number; totalCapped: boolean } | null> {
      if (!isUuid(childId)) return (await this.summary(childId)) && null
      const now = ctx.clock.now()
      const db = ctx.db
      const p = actor.partnershipId
      const child = db
        .selectFrom('child as c')
        .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.expected_date_of_birth', 'c.sex', 'c.nhs_number', 'c.upn', 'c.ethnicity', 'c.first_language', 'c.interpreter_needed', 'c.disability', 'c.sen_status', 'c.provisional', 'c.child_in_need', 'c.child_protection_plan', 'c.looked_after'])
        .where('c.id', '=', childId)
        .where('c.partnership_id', '=', p)
        .where(childInReach(actor, now))
      const why = reachingRelationships(db, actor, now).where('r.child_id', '=', childId).where(sql<SqlBool>`exists (select 1 from c)`).select(['r.reason', 'r.starts_at'])
      // the latest entries the viewer may see, with the viewer's relationships to the child worked out once (f,
      // kept: inline, the planner may work them out again for every entry)
      const visible = db
        .selectFrom('entry as e')
        .innerJoin(sql<Facts>`f`.as('f'), 'f.child_id', 'e.child_id')
        .where('e.partnership_id', '=', p)
        .where('e.child_id', '=', childId)
        .where(sql<SqlBool>`exists (select 1 from c)`)
        .where(entryVisible(actor, now, JOINED_FACTS))
      const latest = entryPage(db, visible, actor, now, { limit: opts.entries ?? 10 })
      // counted up to a cap: a child with thousands of entries must not make every page count them all
      const counted = visible.select('e.id').limit(COUNT_CAP + 1)
      const involved = involvedQuery(db, p, childId, now).where(sql<SqlBool>`exists (select 1 from c)`)
      const leads = leadsQuery(db, p, sql<string>`(select inv.agency_id from inv)`, now)
      const view = auditValues(actor, now, { action: 'child.view', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId] })
      const list = auditValues(actor, now, { action: 'entry.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId] })
      const cols = sql`partnership_id, at, actor_kind, actor_practitioner_id, actor_membership_id, action, entity_type, entity_id, child_ids, relationship_id, outcome, request_id, details`
      const common = sql`${view.partnership_id}::uuid, ${view.at}::timestamptz, ${view.actor_kind}::text, ${view.actor_practitioner_id}::uuid, ${view.actor_membership_id}::uuid`
      try {
        const got = await sql<{
          child: (ChildRow & { why: { id: string; type: RelationshipType; reason: string; starts_at: string }[] | null }) | null
          names: SummaryParts['names'] | null
          addresses: SummaryParts['addresses'] | null
          family: SummaryParts['family'] | null
          involved: (Omit<InvolvedRow, 'starts_at'> & { starts_at: string })[] | null
          leads: LeadRow[] | null
          entries: Parameters<typeof entryView>[0][] | null
          category_labels: CategoryLabels | null
          n: number
        }>`/* prepared */
          with c as materialized (${child}),
          why as materialized (${why}),
          f as materialized (${relationshipFacts(db, actor, now, [childId])}),
          latest as materialized (${latest}),
          inv as materialized (${involved}),
          a as (
            insert into audit_event (${cols})
            select ${common}, ${view.action}::text, ${view.entity_type}::text, ${view.entity_id}::text,
                   case when ok then ${view.child_ids}::uuid[] else '{}'::uuid[] end,
                   case when ok then (select why.id from why order by why.starts_at limit 1) end,
                   case when ok then 'success' else 'not_found' end, ${view.request_id}::text, '{}'::jsonb
            from (select exists (select 1 from c) as ok) x
            union all
            select ${common}, ${list.action}::text, ${list.entity_type}::text, ${list.entity_id}::text, ${list.child_ids}::uuid[], null, 'success', ${list.request_id}::text,
                   jsonb_build_object('entryIds', coalesce((select jsonb_agg(latest.id order by latest.occurred_at desc, latest.recorded_at desc, latest.id) from latest), '[]'::jsonb))
            where exists (select 1 from c)
          )
          select
            (select to_jsonb(c) || jsonb_build_object('why', (select jsonb_agg(why order by why.starts_at) from why)) from c) as child,
            (select json_agg(n) from child_name n where n.partnership_id = ${p}::uuid and n.child_id = ${childId}::uuid and exists (select 1 from c)) as names,
            (select json_agg(ad order by ad.from_date desc) from child_address ad where ad.partnership_id = ${p}::uuid and ad.child_id = ${childId}::uuid and exists (select 1 from c)) as addresses,
            (select json_agg(fm order by fm.name) from family_member fm where fm.partnership_id = ${p}::uuid and fm.child_id = ${childId}::uuid and exists (select 1 from c)) as family,
            (select json_agg(inv order by inv.agency_name) from inv) as involved,
            (select json_agg(l order by l.role) from (${leads}) l) as leads,
            (select json_agg(latest order by latest.occurred_at desc, latest.recorded_at desc, latest.id) from latest) as entries,
            ${categoryLabelsJson(p, sql`array(select latest.category from latest)`)} as category_labels,
            (select count(*)::int from (${counted}) x) as n`.execute(db)
        const row = got.rows[0]!
        if (!row.child) return null
        const { why: whyRows, ...c } = row.child
        const rels = (row.involved ?? []).map((r) => ({ ...r, starts_at: new Date(r.starts_at) }))
        const summary = summaryFrom(actor, c, {
          why: (whyRows ?? []).map((w) => ({ ...w, starts_at: new Date(w.starts_at) })),
          names: row.names ?? [],
          addresses: row.addresses ?? [],
          family: row.family ?? [],
          involved: groupInvolved(rels, row.leads ?? []),
        })
        const entries = (row.entries ?? []).map(entryView)
        return { child: summary, entries, categoryLabels: row.category_labels ?? {}, total: Math.min(Number(row.n), COUNT_CAP), totalCapped: Number(row.n) > COUNT_CAP }
      } catch (err) {
        // as auditedTransaction does: the failure is audited in a statement of its own
        await writeAudit(db, actor, now, { action: 'child.view', outcome: 'failure', details: { error: (err as Error)?.name ?? 'Error' } }).catch(() => undefined)
        throw err
      }
    },
  }
}

interface SummaryParts {
  why: { type: RelationshipType; reason: string; starts_at: Date }[]
  names: { kind: string; given_name: string; family_name: string }[]
  addresses: { line1: string; line2: string | null; town: string | null; postcode: string | null; from_date: string; to_date: string | null; confidential: boolean; visible_to_roles: string[] | null }[]
  family: { name: string; relationship: string; parental_responsibility: boolean; same_household: boolean; phone: string | null; related_child_id: string | null }[]
  involved: InvolvedAgency[]
}

type ChildRow = Pick<Selectable<ChildTable>, 'id' | 'given_name' | 'family_name' | 'date_of_birth' | 'expected_date_of_birth' | 'sex' | 'nhs_number' | 'upn' | 'ethnicity' | 'first_language' | 'interpreter_needed' | 'disability' | 'sen_status' | 'provisional' | 'child_in_need' | 'child_protection_plan' | 'looked_after'>

/** The child summary from its rows: confidential addresses only for the roles that may see them. */
function summaryFrom(actor: Actor, c: ChildRow, { why, names, addresses, family, involved }: SummaryParts): ChildSummary {
  const maySee = (roles: string[] | null) => (roles && roles.length ? roles.includes(actor.role) : (CONFIDENTIAL_ADDRESS_ROLES as readonly Role[]).includes(actor.role))
  const visibleAddresses = addresses.filter((a) => !a.confidential || maySee(a.visible_to_roles))
  const result: ChildSummary = {
    id: c.id,
    givenName: c.given_name,
    familyName: c.family_name,
    otherNames: names.map((n) => ({ kind: n.kind, givenName: n.given_name, familyName: n.family_name })),
    dateOfBirth: c.date_of_birth,
    expectedDateOfBirth: c.expected_date_of_birth,
    sex: c.sex,
    nhsNumber: c.nhs_number,
    upn: c.upn,
    ethnicity: c.ethnicity,
    firstLanguage: c.first_language,
    interpreterNeeded: c.interpreter_needed,
    disability: c.disability,
    senStatus: c.sen_status,
    provisional: c.provisional,
    flags: { childInNeed: c.child_in_need, childProtectionPlan: c.child_protection_plan, lookedAfter: c.looked_after },
    addresses: visibleAddresses.map((a) => ({
      line1: a.line1,
      line2: a.line2,
      town: a.town,
      postcode: a.postcode,
      fromDate: a.from_date,
      toDate: a.to_date,
      confidential: a.confidential,
    })),
    addressesWithheld: addresses.length - visibleAddresses.length,
    family: family.map((f) => ({
      name: f.name,
      relationship: f.relationship,
      parentalResponsibility: f.parental_responsibility,
      sameHousehold: f.same_household,
      phone: f.phone,
      relatedChildId: f.related_child_id,
    })),
    involved,
    why: why.map((w) => ({ type: w.type, reason: w.reason, since: w.starts_at })),
  }
  return result
}

async function involvedAgencies(trx: Q, partnershipId: string, childId: string, now: Date): Promise<InvolvedAgency[]> {
  const rels = await involvedQuery(trx, partnershipId, childId, now).execute()
  // an agency involved through an agency-held relationship (a school's pupil): name its safeguarding leads
  const agencyOnly = agenciesWithoutPeople(rels)
  const leads = agencyOnly.length ? await leadsQuery(trx, partnershipId, agencyOnly, now).execute() : []
  return groupInvolved(rels, leads)
}

type Q = Parameters<typeof reachingRelationships>[0]

/** The child's current relationships other than break-glass and self-claimed, with who holds them, by agency name. */
function involvedQuery(trx: Q, partnershipId: string, childId: string, now: Date) {
  return trx
    .selectFrom('relationship as r')
    .leftJoin('membership as m', 'm.id', 'r.holder_membership_id')
    .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
    .leftJoin('team as mt', 'mt.id', 'm.team_id')
    .leftJoin('team as t', 't.id', 'r.holder_team_id')
    .innerJoin('agency as a', (j) => j.on(sql<SqlBool>`a.id = coalesce(r.holder_agency_id, m.agency_id, t.agency_id)`))
    .select([
      'r.type',
      'r.starts_at',
      'a.id as agency_id',
      'a.name as agency_name',
      'a.kind as agency_kind',
      'a.phone as agency_phone',
      'a.email as agency_email',
      'p.given_name',
      'p.family_name',
      'p.email as p_email',
      'p.phone as p_phone',
      'm.role',
      'mt.name as member_team',
      't.name as team_name',
      't.phone as team_phone',
      't.email as team_email',
    ])
    .where('r.partnership_id', '=', partnershipId)
    .where('r.child_id', '=', childId)
    .where('r.type', 'not in', ['break_glass', 'self_claimed'])
    .where('r.starts_at', '<=', now)
    .where((eb) => eb.or([eb('r.ends_at', 'is', null), eb('r.ends_at', '>', now)]))
    .orderBy('a.name')
}

type InvolvedRow = Awaited<ReturnType<ReturnType<typeof involvedQuery>['execute']>>[number]

/** The current safeguarding leads (DSL, deputy) of these agencies. */
function leadsQuery(trx: Q, partnershipId: string, agencyIds: readonly string[] | Expression<string>, now: Date) {
  return currentMembershipsQuery(trx, partnershipId, now)
    .leftJoin('team as t', 't.id', 'm.team_id')
    .select(['m.agency_id', 'm.role', 'p.given_name', 'p.family_name', 'p.email', 'p.phone', 't.name as team_name'])
    .where('m.agency_id', 'in', (Array.isArray(agencyIds) ? [...agencyIds] : agencyIds) as string[])
    .where('m.role', 'in', ['dsl', 'deputy_dsl'])
    .orderBy('m.role')
}

type LeadRow = Awaited<ReturnType<ReturnType<typeof leadsQuery>['execute']>>[number]

const holdsPeople = (r: InvolvedRow) => Boolean((r.given_name && r.p_email && r.role) || r.team_name)

/** The agencies involved only through agency-held relationships (no person or team named). */
function agenciesWithoutPeople(rels: readonly InvolvedRow[]): string[] {
  const withPeople = new Set(rels.filter(holdsPeople).map((r) => r.agency_id))
  return [...new Set(rels.map((r) => r.agency_id))].filter((id) => !withPeople.has(id))
}

function groupInvolved(rels: readonly InvolvedRow[], leads: readonly LeadRow[]): InvolvedAgency[] {
  const byAgency = new Map<string, InvolvedAgency>()
  for (const r of rels) {
    let a = byAgency.get(r.agency_id)
    if (!a) {
      a = { agencyId: r.agency_id, agencyName: r.agency_name, agencyKind: r.agency_kind, phone: r.agency_phone, email: r.agency_email, people: [], teams: [], roles: [] }
      byAgency.set(r.agency_id, a)
    }
    if (!a.roles.includes(r.type)) a.roles.push(r.type)
    if (r.given_name && r.p_email && r.role) {
      a.people.push({ name: `${r.given_name} ${r.family_name}`, role: r.role, team: r.member_team, phone: r.p_phone, email: r.p_email, relationship: r.type, since: r.starts_at })
    } else if (r.team_name) {
      a.teams.push({ name: r.team_name, phone: r.team_phone, email: r.team_email, relationship: r.type })
    }
  }
  // an agency involved through an agency-held relationship (a school's pupil): name its safeguarding leads
  const agencyOnly = new Set([...byAgency.values()].filter((a) => a.people.length === 0 && a.teams.length === 0).map((a) => a.agencyId))
  for (const l of leads) {
    if (!agencyOnly.has(l.agency_id)) continue
    const a = byAgency.get(l.agency_id)!
    a.people.push({ name: `${l.given_name} ${l.family_name}`, role: l.role, team: l.team_name, phone: l.phone, email: l.email, relationship: a.roles[0]!, since: new Date(0) })
  }
  return [...byAgency.values()]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(v: string): boolean {
  return UUID.test(v)
}

/** Identifiers that name one child exactly: an NHS number, or a name (or another name the child is known by) and date of birth. */
export type ExactIdentifiers = { kind: 'nhs_number'; nhsNumber: string } | { kind: 'name_and_dob'; givenName: string; familyName: string; dateOfBirth: string }

const canonicalName = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase()
const sqlCanonicalName = (col: string) => sql<string>`lower(regexp_replace(btrim(${sql.ref(col)}), '\\s+', ' ', 'g'))`

/**
 * The partnership's children these identifiers name exactly, at most two (two means "not one": the caller refuses).
 * A child a reviewer's merge left empty keeps its identity but holds nothing — its records are on the child it went
 * to — so it is never a match: not the child meant, and not a second match that makes a request impossible to log.
 * Used where identity, not reach, finds the child: subject access requests and break-glass.
 */
export async function exactIdentityMatches(trx: Transaction<DB>, partnershipId: string, ids: ExactIdentifiers): Promise<string[]> {
  if (ids.kind === 'nhs_number') {
    const digits = ids.nhsNumber.replace(/\s+/g, '')
    if (!/^\d{10}$/.test(digits)) return []
    const rows = await trx.selectFrom('child').select('id').where('partnership_id', '=', partnershipId).where('nhs_number', '=', digits).where('merged_into_child_id', 'is', null).limit(2).execute()
    return rows.map((r) => r.id)
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ids.dateOfBirth)) return []
  const given = canonicalName(ids.givenName)
  const family = canonicalName(ids.familyName)
  const rows = await trx
    .selectFrom('child as c')
    .select('c.id')
    .where('c.partnership_id', '=', partnershipId)
    .where('c.date_of_birth', '=', ids.dateOfBirth)
    .where('c.merged_into_child_id', 'is', null)
    .where((eb) =>
      eb.or([
        eb.and([eb(sqlCanonicalName('c.given_name'), '=', given), eb(sqlCanonicalName('c.family_name'), '=', family)]),
        // another name the child is known by (alias, previous, birth name) — still exactly
        eb.exists(eb.selectFrom('child_name as n').select('n.id').whereRef('n.child_id', '=', 'c.id').where('n.partnership_id', '=', partnershipId).where(sqlCanonicalName('n.given_name'), '=', given).where(sqlCanonicalName('n.family_name'), '=', family)),
      ]),
    )
    .limit(2)
    .execute()
  return rows.map((r) => r.id)
}

/**
 * Takes the children's rows for the rest of the transaction, in id order (so two transactions never wait on each other
 * crosswise), before a check that allows one of a thing per child — one open team around the child, one open request
 * to an agency, one file transfer waiting — and the insert that follows it. Without it two submissions at the same
 * moment (a double click) both pass the check. `FOR NO KEY UPDATE` does not block the inserts that only refer to the
 * child (concerns, entries: their foreign keys take `FOR KEY SHARE`), so the front door is not held up. A merge or
 * an unmerge takes its two children this way before moving a record's entries, and a signal evaluation the children it
 * evaluates, so that neither sees the other half done; returns each child's merged_into_child_id as locked.
 */
export async function lockChildren(trx: Transaction<DB>, partnershipId: string, childIds: readonly string[]): Promise<{ id: string; merged_into_child_id: string | null }[]> {
  const ids = [...new Set(childIds)].filter(isUuid).sort()
  if (!ids.length) return []
  // read as locked: a mark that a merge holding the row until now has just set is seen
  return trx.selectFrom('child').select(['id', 'merged_into_child_id']).where('partnership_id', '=', partnershipId).where('id', 'in', ids).orderBy('id').forNoKeyUpdate().execute()
}

/**
 * Takes the children's rows as lockChildren does (in id order), following merges: answers, for each child asked for,
 * the child that stands for it now — itself; the child it went into, when a merge has emptied it (marked
 * merged_into_child_id): its entries are there now; or none (a merge cycle, or no such child). The child a merge went
 * into is taken too, in the same order: a merge seen only once the rows are held (it held one of them, and has just
 * committed) names a child not yet taken, so every row taken is let go (a savepoint) and all of them taken again in id
 * order, never one out of order while others are held. A signal evaluation takes the children it evaluates this way,
 * and an import the children it links records to.
 */
export async function lockFollowingMerges(trx: Transaction<DB>, partnershipId: string, childIds: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>()
  if (!childIds.length) return out
  const want = new Set(childIds)
  for (;;) {
    await sql`savepoint lock_following_merges`.execute(trx)
    const into = new Map((await lockChildren(trx, partnershipId, [...want])).map((c) => [c.id, c.merged_into_child_id]))
    const missing = [...into.values()].filter((t): t is string => !!t && !want.has(t))
    if (missing.length) {
      await sql`rollback to savepoint lock_following_merges`.execute(trx)
      for (const m of missing) want.add(m)
      continue
    }
    await sql`release savepoint lock_following_merges`.execute(trx)
    for (const id of childIds) {
      let at = id
      for (const seen = new Set<string>(); into.get(at) && !seen.has(at); ) {
        seen.add(at)
        at = into.get(at)!
      }
      out.set(id, into.has(at) && !into.get(at) ? at : null)
    }
    return out
  }
}

/**
 * A child in the actor's reach, for a capability's own pages: identity, the relationship that let the actor in (a
 * standing one before break-glass, for the audit row), and whether that reach takes in the team's entries (the
 * role's reach, or break-glass's). Undefined when out of reach or not an id — the caller answers "not found".
 */
export async function childWithRelationship(trx: Transaction<DB>, actor: Actor, childId: string, now: Date) {
  if (!isUuid(childId)) return undefined
  const child = await trx
    .selectFrom('child as c')
    .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.upn'])
    .where('c.id', '=', childId)
    .where('c.partnership_id', '=', actor.partnershipId)
    .where(childInReach(actor, now))
    .executeTakeFirst()
  if (!child) return undefined
  const rels = await reachingRelationships(trx, actor, now).where('r.child_id', '=', childId).orderBy(sql`r.type = 'break_glass'`).execute()
  return { child, relationshipId: rels[0]?.id ?? null, teamReach: REACH[actor.role].entries.team || rels.some((r) => r.type === 'break_glass') }
}
