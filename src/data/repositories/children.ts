// Children as the acting practitioner may see them. Out of scope and absent are the same: null.
import { sql, type SqlBool } from 'kysely'
import { CONFIDENTIAL_ADDRESS_ROLES, REACH, type Role } from '../../access/policy.ts'
import { childInReach, reachingRelationships } from '../access-sql.ts'
import type { Actor } from '../actor.ts'
import type { RelationshipType } from '../schema.ts'
import { auditedTransaction, type Ctx } from '../unit-of-work.ts'

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

export function childrenRepository(ctx: Ctx, actor: Actor) {
  return {
    /** "My children": every child reached through my current relationships, with why. One audit row with the ids. */
    async mine(opts: { limit?: number } = {}): Promise<MyChild[]> {
      return auditedTransaction(ctx, actor, 'child.list', async (trx, now) => {
        if (!REACH[actor.role].identity) return { result: [], audit: { action: 'child.list', outcome: 'success', details: { list: 'my-children', count: 0 } } }
        const rows = await trx
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
          .limit(opts.limit ?? 500)
          .execute()
        const result = rows.map((r) => ({
          id: r.id,
          givenName: r.given_name,
          familyName: r.family_name,
          dateOfBirth: r.date_of_birth,
          expectedDateOfBirth: r.expected_date_of_birth,
          flags: { childInNeed: r.child_in_need, childProtectionPlan: r.child_protection_plan, lookedAfter: r.looked_after },
          why: r.why,
        }))
        return { result, audit: { action: 'child.list', outcome: 'success', childIds: result.map((c) => c.id), details: { list: 'my-children', count: result.length } } }
      })
    },

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
        return {
          result,
          audit: { action: 'child.view', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: why[0]?.id ?? null },
        }
      })
    },
  }
}

async function involvedAgencies(trx: Parameters<typeof reachingRelationships>[0], partnershipId: string, childId: string, now: Date): Promise<InvolvedAgency[]> {
  const rels = await trx
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
    .execute()
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
  const agencyOnly = [...byAgency.values()].filter((a) => a.people.length === 0 && a.teams.length === 0)
  if (agencyOnly.length) {
    const leads = await trx
      .selectFrom('membership as m')
      .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .leftJoin('team as t', 't.id', 'm.team_id')
      .select(['m.agency_id', 'm.role', 'p.given_name', 'p.family_name', 'p.email', 'p.phone', 't.name as team_name'])
      .where('m.partnership_id', '=', partnershipId)
      .where('m.agency_id', 'in', agencyOnly.map((a) => a.agencyId))
      .where('m.role', 'in', ['dsl', 'deputy_dsl'])
      .where('p.disabled_at', 'is', null)
      .where('m.starts_at', '<=', now)
      .where((eb) => eb.or([eb('m.ends_at', 'is', null), eb('m.ends_at', '>', now)]))
      .orderBy('m.role')
      .execute()
    for (const l of leads) {
      const a = byAgency.get(l.agency_id)!
      a.people.push({ name: `${l.given_name} ${l.family_name}`, role: l.role, team: l.team_name, phone: l.phone, email: l.email, relationship: a.roles[0]!, since: new Date(0) })
    }
  }
  return [...byAgency.values()]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(v: string): boolean {
  return UUID.test(v)
}
