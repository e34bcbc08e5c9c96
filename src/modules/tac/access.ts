// Who may see and change a team around the child, composed in SQL like every other access rule:
// - a joined member of the team sees it and works in it (joining granted them a `team_member` relationship to
//   each child of the team, so they also see the children's records);
// - a practitioner whose current relationships reach one of the team's children and whose role sees `team`
//   entries (a DSL of the school, an allocated social worker, a manager of a member) sees it, read-only;
// - anyone else: not found.
// Shared by every Team Around the Child capability (team, assessments, meetings, plan, reviews, CP route, visits,
// exploitation), together with the entry writer: one entry per child, in the caller's transaction.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { REACH, ROLES, ROLE_LABELS, isRole } from '../../access/policy.ts'
import { childInReach, reachingRelationships } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { AgencyKind, DB, Significance, TacLevel, Visibility } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'

export interface TacAccess {
  id: string
  level: TacLevel
  mace: boolean
  status: 'open' | 'closed'
  leadMembershipId: string
  rowVersion: number
  planVersion: number
  nextReviewOn: string | null
  startedAt: Date
  reason: string
  closedAt: Date | null
  closureReason: string | null
  childIds: string[]
  /** The actor is a joined member (or the lead): may change the team's records. */
  isMember: boolean
  isLead: boolean
  /** The relationship that let the actor in (for the audit row), when it was not membership. */
  relationshipId: string | null
}

export const LEVEL_LABELS: Record<TacLevel, string> = {
  early_help: 'Early help',
  child_in_need: 'Child in need',
  child_protection: 'Child protection',
}

/**
 * The team, if the actor may see it; `forUpdate` locks the team row (every change to a team's records bumps or
 * checks it, so concurrent changes to the same team queue rather than interleave).
 */
export async function tacInReach(trx: Transaction<DB>, actor: Actor, tacId: string, now: Date, opts: { forUpdate?: boolean } = {}): Promise<TacAccess | undefined> {
  if (!isUuid(tacId)) return undefined
  let q = trx
    .selectFrom('tac as t')
    .selectAll('t')
    .select((eb) => [
      eb.selectFrom('tac_child as tc').select(sql<string[]>`array_agg(tc.child_id order by tc.child_id)`.as('ids')).where('tc.tac_id', '=', eb.ref('t.id')).as('child_ids'),
      eb
        .exists(
          eb
            .selectFrom('tac_member as m')
            .select('m.id')
            .where('m.tac_id', '=', eb.ref('t.id'))
            .where('m.membership_id', '=', actor.membershipId)
            .where('m.status', '=', 'joined'),
        )
        .as('is_member'),
    ])
    .where('t.id', '=', tacId)
    .where('t.partnership_id', '=', actor.partnershipId)
  if (opts.forUpdate) q = q.forUpdate()
  const t = await q.executeTakeFirst()
  if (!t) return undefined
  const childIds = t.child_ids ?? []
  // the lead is a member while the team is open; closing ends every membership, the lead's too (a closed team is
  // seen only through a current relationship to one of its children, like any other record)
  const isLead = t.lead_membership_id === actor.membershipId && t.status === 'open'
  const isMember = Boolean(t.is_member) || isLead
  let relationshipId: string | null = null
  if (!isMember) {
    // not a member: a current relationship to one of the children, and a role that sees the team's entries
    // (break-glass gives team reach whatever the role)
    const rel = await reachingRelationships(trx, actor, now)
      .where('r.child_id', 'in', childIds.length ? childIds : ['00000000-0000-0000-0000-000000000000'])
      .orderBy(sql`r.type = 'break_glass'`)
      .executeTakeFirst()
    if (!rel) return undefined
    if (!REACH[actor.role].identity && rel.type !== 'break_glass') return undefined
    if (!REACH[actor.role].entries.team && rel.type !== 'break_glass') return undefined
    relationshipId = rel.id
  }
  return {
    id: t.id,
    level: t.level,
    mace: t.mace,
    status: t.status,
    leadMembershipId: t.lead_membership_id,
    rowVersion: t.row_version,
    planVersion: t.plan_version,
    nextReviewOn: t.next_review_on,
    startedAt: t.started_at,
    reason: t.reason,
    closedAt: t.closed_at,
    closureReason: t.closure_reason,
    childIds,
    isMember,
    isLead,
    relationshipId,
  }
}

/** The team, if the actor may change its records: a joined member of an open team. */
export async function tacForChange(trx: Transaction<DB>, actor: Actor, tacId: string, now: Date): Promise<TacAccess | undefined> {
  const t = await tacInReach(trx, actor, tacId, now, { forUpdate: true })
  if (!t) return undefined
  if (!t.isMember) throw new RefusedError('Only members of the team around the child can change its records')
  if (t.status === 'closed') throw new RefusedError('This team around the child is closed')
  return t
}

/** The teams of a child the actor may see (a child page's "team around the child" panel). */
export function tacsOfChild(trx: Transaction<DB>, actor: Actor, childId: string) {
  return trx
    .selectFrom('tac_child as tc')
    .innerJoin('tac as t', 't.id', 'tc.tac_id')
    .select(['t.id', 't.level', 't.status', 't.mace', 't.lead_membership_id', 't.started_at', 't.next_review_on'])
    .where('tc.partnership_id', '=', actor.partnershipId)
    .where('tc.child_id', '=', childId)
    .orderBy('t.started_at', 'desc')
}

/**
 * A child in the actor's reach (the API's reads of a child's team, meetings and plan start here, as the child's
 * teams page does): undefined for a bad id, a child out of reach and a child that does not exist alike.
 */
export async function childForTeamRead(trx: Transaction<DB>, actor: Actor, childId: string, now: Date) {
  if (!isUuid(childId)) return undefined
  return trx
    .selectFrom('child as c')
    .select(['c.id', 'c.given_name', 'c.family_name'])
    .where('c.partnership_id', '=', actor.partnershipId)
    .where('c.id', '=', childId)
    .where(childInReach(actor, now))
    .executeTakeFirst()
}

/**
 * The open team around the child (not an exploitation panel's plan: at most one is open, startTac sees to it), if
 * the actor may see it (tacInReach, as the team's pages); undefined when there is none or it is not theirs to see.
 */
export async function openTeamOfChild(trx: Transaction<DB>, actor: Actor, childId: string, now: Date): Promise<TacAccess | undefined> {
  const open = await tacsOfChild(trx, actor, childId).where('t.status', '=', 'open').where('t.mace', '=', false).executeTakeFirst()
  return open ? tacInReach(trx, actor, open.id, now) : undefined
}

export interface TacEntry {
  type: string
  category?: string | null
  summary: string
  significance: Significance
  occurredAt: Date
  detailType: string
  detailId: string
  visibility?: Visibility
}

/** One chronology entry per child of the team (or per child named), in the caller's transaction. */
export async function writeTacEntries(trx: Transaction<DB>, actor: Actor, now: Date, childIds: readonly string[], e: TacEntry): Promise<void> {
  if (!childIds.length) return
  await trx
    .insertInto('entry')
    .values(
      childIds.map((childId) => ({
        id: randomUUID(),
        partnership_id: actor.partnershipId,
        child_id: childId,
        type: e.type,
        category: e.category ?? null,
        occurred_at: e.occurredAt,
        recorded_at: now,
        author_membership_id: actor.membershipId,
        author_team_id: actor.teamId,
        source_agency_id: actor.agencyId,
        significance: e.significance,
        summary: e.summary,
        detail_type: e.detailType,
        detail_id: e.detailId,
        visibility: e.visibility ?? 'team',
        addressed_to_membership_id: null,
        agency_record_id: null,
        supersedes_entry_id: null,
      })),
    )
    .execute()
}

/** The joined members of a team (for notifications). */
export async function memberIds(trx: Transaction<DB>, partnershipId: string, tacId: string): Promise<string[]> {
  const rows = await trx.selectFrom('tac_member').select('membership_id').where('partnership_id', '=', partnershipId).where('tac_id', '=', tacId).where('status', '=', 'joined').execute()
  return rows.map((r) => r.membership_id)
}

/** Joining grants a `team_member` relationship to each child of the team; leaving ends them (next request). */
export async function grantTeamRelationships(trx: Transaction<DB>, partnershipId: string, tacId: string, membershipId: string, childIds: readonly string[], now: Date, by: string | null): Promise<void> {
  if (!childIds.length) return
  await trx
    .insertInto('relationship')
    .values(
      childIds.map((childId) => ({
        id: randomUUID(),
        partnership_id: partnershipId,
        child_id: childId,
        type: 'team_member' as const,
        holder_agency_id: null,
        holder_team_id: null,
        holder_membership_id: membershipId,
        starts_at: now,
        ends_at: null,
        source: `tac:${tacId}`,
        reason: 'Member of the team around the child',
        created_by_membership_id: by,
        created_at: now,
      })),
    )
    .execute()
}

export async function endTeamRelationships(trx: Transaction<DB>, partnershipId: string, tacId: string, membershipId: string | null, now: Date): Promise<void> {
  let q = trx
    .updateTable('relationship')
    .set({ ends_at: now })
    .where('partnership_id', '=', partnershipId)
    .where('type', '=', 'team_member')
    .where('source', '=', `tac:${tacId}`)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
  if (membershipId) q = q.where('holder_membership_id', '=', membershipId)
  await q.execute()
}

/** A partnership setting (configurable numbers and lists), or the default. */
export async function setting<T>(trx: Transaction<DB>, partnershipId: string, key: string, fallback: T): Promise<T> {
  const row = await trx.selectFrom('partnership_setting').select('value').where('partnership_id', '=', partnershipId).where('key', '=', key).executeTakeFirst()
  return (row?.value as T | undefined) ?? fallback
}

export interface Practitioner {
  membershipId: string
  name: string
  role: string
  roleLabel: string
  agency: string
  agencyKind: string
}

const CASE_ROLES: readonly string[] = ROLES.filter((r) => REACH[r].identity)

/**
 * Practitioners in case roles with a current membership, across the partnership's agencies, by agency and name: who
 * may lead a team, be invited to one, or take part in a strategy discussion. `ids` narrows to those memberships
 * (ids that are not UUIDs match nothing), `agencyKinds` to those kinds of agency.
 */
export async function casePractitioners(trx: Transaction<DB>, partnershipId: string, now: Date, opts: { ids?: readonly string[]; agencyKinds?: readonly AgencyKind[] } = {}): Promise<Practitioner[]> {
  let q = currentMembershipsQuery(trx, partnershipId, now)
    .innerJoin('agency as a', 'a.id', 'm.agency_id')
    .select(['m.id', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency', 'a.kind as agency_kind'])
    .where('m.role', 'in', CASE_ROLES)
  if (opts.agencyKinds) q = q.where('a.kind', 'in', [...opts.agencyKinds])
  if (opts.ids) {
    const ids = opts.ids.filter(isUuid)
    q = q.where('m.id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000'])
  }
  const rows = await q.orderBy('a.name').orderBy('p.family_name').orderBy('p.given_name').execute()
  return rows.map((r) => ({ membershipId: r.id, name: `${r.given_name} ${r.family_name}`, role: r.role, roleLabel: isRole(r.role) ? ROLE_LABELS[r.role] : r.role, agency: r.agency, agencyKind: r.agency_kind }))
}

/**
 * Who an overdue clock the actor starts escalates to: the actor, when a team manager; else a current team manager of
 * their team (never one whose account is disabled: an escalation nobody can read is no escalation).
 */
export async function teamManagerOf(trx: Transaction<DB>, actor: Actor, at: Date): Promise<string | null> {
  if (actor.role === 'team_manager') return actor.membershipId
  if (!actor.teamId) return null
  const m = await currentMembershipsQuery(trx, actor.partnershipId, at).select('m.id').where('m.team_id', '=', actor.teamId).where('m.role', '=', 'team_manager').orderBy('m.id').executeTakeFirst()
  return m?.id ?? null
}

/** Whether the actor is a joined member of an open team around this child (which gives case reach to its work). */
export async function inOpenTeamOf(trx: Transaction<DB>, actor: Actor, childId: string): Promise<boolean> {
  const member = await trx
    .selectFrom('tac_member as m')
    .innerJoin('tac_child as tc', 'tc.tac_id', 'm.tac_id')
    .innerJoin('tac as t', 't.id', 'm.tac_id')
    .select('m.tac_id')
    .where('m.partnership_id', '=', actor.partnershipId)
    .where('m.membership_id', '=', actor.membershipId)
    .where('m.status', '=', 'joined')
    .where('tc.child_id', '=', childId)
    .where('t.status', '=', 'open')
    .executeTakeFirst()
  return Boolean(member)
}
