// Concerns and the DSL's triage (KCSIE: all concerns, discussions and decisions, and the reasons for them, in
// writing). One submission may name several children: one concern and one chronology entry per child.
import { randomUUID } from 'node:crypto'
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely'
import { REACH, ROLES, SAFEGUARDING_LEAD_ROLES } from '../../access/policy.ts'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { currentMembershipsQuery, membershipsWithRolesQuery } from '../../data/memberships.ts'
import { emailFor, notifyMemberships } from '../../data/notify.ts'
import { grantFrontDoorContact } from '../../data/relationships.ts'
import { auditDetails, auditValues } from '../../data/audit.ts'
import { actorKey, statementCache } from '../../data/compiled-statements.ts'
import type { BodyMark, DB, RelationshipType, Significance } from '../../data/schema.ts'
import { auditedTransaction, auditFailure, FieldRefusedError, KeyReusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { authoredNow } from '../../data/repositories/entries.ts'
import { createProvisionalChild, type NewChild } from '../../data/repositories/provisional-child.ts'
import { casePractitioners } from '../tac/access.ts'
import { recordConcernHandOn, recordConcernSharing, type ConcernRoute } from '../sharing/concern.ts'

export const TRIAGE_ACTIONS = {
  monitor: 'Monitor',
  speak_to_parents: 'Speak to parents or carers',
  early_help: 'Early help',
  consult_ssw: 'Consult the school-based social worker',
  refer_front_door: 'Refer to the front door',
  police: 'Report to the police',
} as const
export type TriageActionCode = keyof typeof TRIAGE_ACTIONS
export const TRIAGE_OUTCOMES = { monitor: 'Keep open and monitor', escalated: 'Escalated (referral, police or early help)', closed: 'Close: no further action' } as const

/**
 * The relationships an agency holds that bring a child into its safeguarding leads' reach (REACH in
 * src/access/policy.ts: a pupil on roll, the agency's own record), the child's school first. A concern goes to the
 * safeguarding leads of the raiser's own agency only when it holds such a relationship to the child: otherwise they
 * could not open it.
 */
const HELD_BY_AGENCY: readonly RelationshipType[] = ['pupil_at', 'agency_record']
/** An agency's current relationships (HELD_BY_AGENCY) to these children — `relationship as r`, nothing selected yet. */
function heldBy(db: Kysely<DB> | Transaction<DB>, partnershipId: string, agencyId: string, childIds: readonly unknown[], now: Date) {
  return db
    .selectFrom('relationship as r')
    .where('r.partnership_id', '=', partnershipId)
    .where('r.child_id', 'in', childIds as string[])
    .where('r.holder_agency_id', '=', agencyId)
    .where('r.type', 'in', HELD_BY_AGENCY)
    .where('r.starts_at', '<=', now)
    .where((eb) => eb.or([eb('r.ends_at', 'is', null), eb('r.ends_at', '>', now)]))
}
/** The roles a front-door relationship brings a child into reach for (the front door's social workers and managers). */
const FRONT_DOOR_ROLES = ROLES.filter((r) => REACH[r].through.includes('front_door_contact'))

const SERIOUS = new Set(['sexual_abuse', 'physical_abuse', 'fgm', 'child_sexual_exploitation', 'child_criminal_exploitation', 'radicalisation'])

/**
 * Stand-ins for a submission's own values while the concern statement is built (src/data/compiled-statements.ts):
 * the statement is compiled once per actor and path, and each submission's values are put in their place.
 */
const WRITE_SLOT = {
  child: '\u0000child',
  childIds: [] as string[],
  ids: [] as string[],
  entryIds: [] as string[],
  childCount: '\u0000childCount',
  submissionId: '\u0000submissionId',
  now: new Date(0),
  category: '\u0000category',
  seenOrHeard: '\u0000seenOrHeard',
  childWords: '\u0000childWords',
  occurredAt: new Date(0),
  occurredTimeKnown: '\u0000occurredTimeKnown',
  location: '\u0000location',
  otherChildren: '\u0000otherChildren',
  immediateDanger: '\u0000immediateDanger',
  bodyMap: '\u0000bodyMap',
  idempotencyKey: '\u0000idempotencyKey',
  significance: '\u0000significance',
  summary: '\u0000summary',
  requestId: '\u0000requestId',
  auditDetails: '\u0000auditDetails',
}
const statements = statementCache(WRITE_SLOT)
type WriteValues = { [K in keyof typeof WRITE_SLOT]: unknown }

export interface ConcernInput {
  childIds: string[]
  newChild?: NewChild | null
  category: string
  seenOrHeard: string
  childWords?: string | null
  occurredAt: Date
  /** Whether the time of day was given (default true): without it the chronology shows the date alone. */
  occurredTimeKnown?: boolean
  location?: string | null
  otherChildren?: string | null
  immediateDanger: boolean
  bodyMap: BodyMark[]
  idempotencyKey: string
}

export interface SubmissionResult {
  submissionId: string
  concerns: { id: string; childId: string }[]
  immediateDanger: boolean
  replayed: boolean
}

/**
 * Whom those a concern went to are, as its raiser may be told (they may see whom their own concern went to: the
 * confirmation names them): for a team's lead practitioner, their names; for the safeguarding leads of the agency that
 * holds the child, the agency's name; nothing more (a front-door worker's or a DSL's name is not the point, nor who is
 * in post now). Selected on `concern as k`.
 */
const routedNames = sql<string[]>`case k.routed_via
  when 'team_lead' then array(select p.given_name || ' ' || p.family_name from membership m join practitioner p on p.id = m.practitioner_id
                              where m.partnership_id = k.partnership_id and m.id = any(k.routed_to) order by p.family_name, p.given_name, m.id)
  when 'holder_leads' then array(select distinct a.name from membership m join agency a on a.id = m.agency_id
                                 where m.partnership_id = k.partnership_id and m.id = any(k.routed_to) order by a.name)
  else '{}'::text[] end`.as('routed_names')

/**
 * Someone a routed concern went to is still in post (a predicate on `concern as k`): their membership current and
 * their account not disabled (currentMembershipsQuery, the one rule of who is in post: ADR 0003).
 */
function routedInPost(db: Kysely<DB> | Transaction<DB>, partnershipId: string, now: Date) {
  return sql<SqlBool>`exists (${currentMembershipsQuery(db, partnershipId, now).select('m.id').where(sql<SqlBool>`m.id = any(k.routed_to)`)})`
}

/**
 * Those who stand in when none of those a concern went to by `holder_leads` is in post: the safeguarding leads in post
 * now of the same agencies, while the agency still holds the child (HELD_BY_AGENCY: what lets them open it) — routeAway's
 * first rung, asked again today; never its raiser. On `concern as k`: `membership as m`, nothing selected yet.
 */
function holderLeadsNow(db: Kysely<DB> | Transaction<DB>, partnershipId: string, now: Date) {
  return currentMembershipsQuery(db, partnershipId, now)
    .where('m.role', 'in', SAFEGUARDING_LEAD_ROLES)
    .where(sql<SqlBool>`m.id <> k.raised_by_membership_id`)
    .where(sql<SqlBool>`m.agency_id in (select rm.agency_id from membership rm where rm.partnership_id = k.partnership_id and rm.id = any(k.routed_to))`)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('relationship as r')
          .select('r.id')
          .where('r.partnership_id', '=', partnershipId)
          .where(sql<SqlBool>`r.child_id = k.child_id`)
          .whereRef('r.holder_agency_id', '=', 'm.agency_id')
          .where('r.type', 'in', HELD_BY_AGENCY)
          .where('r.starts_at', '<=', now)
          .where((e2) => e2.or([e2('r.ends_at', 'is', null), e2('r.ends_at', '>', now)])),
      ),
    )
}

/**
 * The front door's members in post now (routeAway's last rung: the partnership's front-door team, a role the front
 * door's relationship brings a child into reach for), never the concern's raiser. On `concern as k`: `membership as m`.
 */
function frontDoorNow(db: Kysely<DB> | Transaction<DB>, partnershipId: string, now: Date) {
  return currentMembershipsQuery(db, partnershipId, now)
    .where('m.role', 'in', FRONT_DOOR_ROLES)
    .where(sql<SqlBool>`m.id <> k.raised_by_membership_id`)
    .where(sql<SqlBool>`m.team_id = (select t.id from team t where t.partnership_id = k.partnership_id and t.is_front_door order by t.id limit 1)`)
}

/**
 * The agencies of the partnership whose safeguarding leads have all gone (their DSL and deputies left, or their accounts
 * disabled): a concern raised there and not routed away waits on the front door. Only an agency that has had a
 * safeguarding lead: police, health and social care have none, and a concern of theirs from before routing existed
 * (migration 20261130T1800) is not the front door's to open. A set of agency ids, uncorrelated, so that
 * `k.agency_id in (…)` is served by the index on concern (partnership_id, agency_id, status, created_at).
 */
function agenciesWithoutLeads(db: Kysely<DB> | Transaction<DB>, partnershipId: string, now: Date) {
  return db
    .selectFrom('agency as a')
    .select('a.id')
    .where('a.partnership_id', '=', partnershipId)
    .where((eb) => eb.exists(eb.selectFrom('membership as hm').select('hm.id').where('hm.partnership_id', '=', partnershipId).whereRef('hm.agency_id', '=', 'a.id').where('hm.role', 'in', SAFEGUARDING_LEAD_ROLES)))
    .where((eb) => eb.not(eb.exists(currentMembershipsQuery(db, partnershipId, now).select('m.id').where('m.role', 'in', SAFEGUARDING_LEAD_ROLES).where(sql<SqlBool>`m.agency_id = a.id`))))
}

/**
 * A concern still waiting for a decision (a predicate on `concern as k`): undecided, or being monitored (its latest
 * decision "Keep open and monitor", as the queue's monitored list has it). Only such a concern is handed on to those
 * who stand in for people who left; a closed or escalated one has been decided, and its history stays with those who
 * had it.
 */
const STILL_WAITING = sql<SqlBool>`(k.status = 'open' or (k.status = 'triaged' and (select t.outcome from triage_action t
  where t.partnership_id = k.partnership_id and t.concern_id = k.id order by t.created_at desc, t.id desc limit 1) = 'monitor'))`

/**
 * Which rung of the routing rule a concern waits on now (selected on `concern as k` as `waiting_via`). Not routed away:
 * null (its raiser's agency's safeguarding leads, whoever is in post) while that agency has one in post; with none
 * (agenciesWithoutLeads), the front door. Routed: the rung it went by (`routed_via`) while anyone it went to is in post;
 * once none is (they left: membership ended, account disabled), the next rung of the same rule — a school's or agency's
 * safeguarding leads in post now (holderLeadsNow), else the front door.
 */
function waitingVia(db: Kysely<DB> | Transaction<DB>, partnershipId: string, now: Date) {
  return sql<ConcernRoute | null>`case when k.routed_to = '{}'::uuid[] then (case when k.agency_id in (${agenciesWithoutLeads(db, partnershipId, now)}) then 'front_door' end)
    when ${routedInPost(db, partnershipId, now)} then k.routed_via
    when k.routed_via = 'holder_leads' and exists (${holderLeadsNow(db, partnershipId, now).select('m.id')}) then 'holder_leads'
    else 'front_door' end`
}

/**
 * Whom an undecided concern waits for, in words: its raiser's DSL, or the rung of the routing rule it waits on now
 * (`waiting_via`); null once it is decided (not open). The one wording of
 * the concern's page, the raiser's list and the API.
 */
export function waitingFor(k: { status: string; waiting_via: ConcernRoute | null; routed_names: string[] }): string | null {
  if (k.status !== 'open') return null
  const names = k.routed_names.join(' or ')
  if (k.waiting_via === 'front_door') return 'the front door'
  if (k.waiting_via === 'team_lead') return names ? `the lead practitioner, ${names}` : 'the lead practitioner of the team around the child'
  if (k.waiting_via === 'holder_leads') return names ? `the safeguarding lead at ${names}` : 'the safeguarding lead of the child’s school'
  return 'the DSL'
}

/**
 * The actor stands in at the front door for those a concern would wait for, none of whom is in post any more (a
 * predicate on `concern as k`): it waits on the front door now (waitingVia) — raised at an agency with no safeguarding
 * lead in post and not routed away, or routed to people none of whom is in post — and the actor is of the front door's
 * members in post (not its raiser). The unrouted case is `k.agency_id in (agencies without a lead)`, so the front
 * door's list reads those agencies' concerns by index rather than asking every concern of the partnership.
 */
function frontDoorStandIn(actor: Actor, trx: Transaction<DB>, now: Date): Expression<SqlBool> {
  if (!FRONT_DOOR_ROLES.includes(actor.role)) return sql<SqlBool>`false`
  // a concern still waiting only (STILL_WAITING): a decided one waits for nobody, its history stays with those who had it
  return sql<SqlBool>`(${STILL_WAITING} and ((k.routed_to = '{}'::uuid[] and k.agency_id in (${agenciesWithoutLeads(trx, actor.partnershipId, now)}))
      or (k.routed_to <> '{}'::uuid[] and (${waitingVia(trx, actor.partnershipId, now)}) = 'front_door' and not ${routedInPost(trx, actor.partnershipId, now)}))
    and exists (${frontDoorNow(trx, actor.partnershipId, now).select('m.id').where('m.id', '=', actor.membershipId)}))`
}

/**
 * A concern the actor decides (a predicate on `concern as k`): one raised in their agency and not routed away, for its
 * safeguarding leads; or one routed to them (its raiser's own leads could not open the child); or, when none of
 * those it was routed to is in post any more, one that now waits on them (waitingVia): as a safeguarding lead in
 * post of the agency it went to, which still holds the child, or at the front door — as is one not routed away whose
 * agency has no safeguarding lead in post. The one rule of who decides a
 * concern: the queue, the concern page, the decision, linking concerns, and the concerns a referral is made from.
 */
export function concernDecidedBy(actor: Actor, eb: ExpressionBuilder<DB & { k: DB['concern'] }, 'k'>, trx: Transaction<DB>, now: Date): Expression<SqlBool> {
  const routedToMe = sql<SqlBool>`(k.routed_to <> '{}'::uuid[] and k.routed_to @> array[${actor.membershipId}]::uuid[])`
  const ways: Expression<SqlBool>[] = [routedToMe, frontDoorStandIn(actor, trx, now)]
  if (SAFEGUARDING_LEAD_ROLES.includes(actor.role)) {
    ways.push(eb.and([eb('k.agency_id', '=', actor.agencyId), sql<SqlBool>`k.routed_to = '{}'::uuid[]`]))
    ways.push(
      sql<SqlBool>`(k.routed_via = 'holder_leads' and ${STILL_WAITING} and not ${routedInPost(trx, actor.partnershipId, now)}
        and exists (${holderLeadsNow(trx, actor.partnershipId, now).select('m.id').where('m.id', '=', actor.membershipId)}))`,
    )
  }
  return eb.or(ways)
}

/**
 * Who decides each of these undecided concerns now (concernDecidedBy, asked of every membership in post rather than of
 * one actor): those it was routed to who are in post; else the rung it waits on now (waitingVia) — its raiser's agency's
 * safeguarding leads, the safeguarding leads in post of the agency it went to (holderLeadsNow), or the front door's
 * members (frontDoorNow). Rows of (concern, child, membership).
 */
async function decidersOf(trx: Transaction<DB>, partnershipId: string, concernIds: readonly string[], now: Date) {
  if (!concernIds.length) return []
  const current = () => currentMembershipsQuery(trx, partnershipId, now).select('m.id')
  const { rows } = await sql<{ concern_id: string; child_id: string; membership_id: string }>`
    select k.id as concern_id, k.child_id, d.id as membership_id
    from concern k cross join lateral (
      ${current().where(sql<SqlBool>`m.id = any(k.routed_to)`)}
      union ${current().where('m.role', 'in', SAFEGUARDING_LEAD_ROLES).where(sql<SqlBool>`k.routed_to = '{}'::uuid[] and m.agency_id = k.agency_id`)}
      union ${holderLeadsNow(trx, partnershipId, now).select('m.id').where(sql<SqlBool>`k.routed_via = 'holder_leads' and not ${routedInPost(trx, partnershipId, now)}`)}
      union ${frontDoorNow(trx, partnershipId, now).select('m.id').where(sql<SqlBool>`(${waitingVia(trx, partnershipId, now)}) = 'front_door' and not ${routedInPost(trx, partnershipId, now)}`)}
    ) d
    where k.partnership_id = ${partnershipId}::uuid and k.id = any(${[...concernIds]}::uuid[]) and ${STILL_WAITING}`.execute(trx)
  return rows
}

/** A concern handed on to those who stand in: its child, and the sharing decisions its move recorded. */
export interface HandedOn {
  concernId: string
  childId: string
  sharingDecisionIds: string[]
}

/** What the audit row of the change that handed concerns on says of them: their children, the concerns, the decisions. */
export function handedOnAudit(handedOn: readonly HandedOn[]): { childIds?: string[]; details: Record<string, unknown> } {
  if (!handedOn.length) return { details: {} }
  const decisions = handedOn.flatMap((h) => h.sharingDecisionIds)
  return {
    childIds: [...new Set(handedOn.map((h) => h.childId))],
    details: { concernsHandedOn: handedOn.map((h) => h.concernId), ...(decisions.length ? { sharingDecisions: decisions } : {}) },
  }
}

/**
 * Before memberships stop being in post (a membership ended, an account disabled or suspended), in the same transaction:
 * the undecided concerns these memberships decide now, and who decides each. Call it before the write, and `tell` after
 * it: those who decide a concern now and did not before — who stand in because the people before them left (the next
 * rung of the routing rule, waitingVia) — are told (an in-app item and an email with no personal data, as for a new
 * concern). A concern still decided by someone who decided it before (another DSL of the school in post) tells nobody.
 */
export async function concernsWaitingOn(trx: Transaction<DB>, partnershipId: string, membershipIds: readonly string[], now: Date) {
  const leaving = [...new Set(membershipIds)]
  if (!leaving.length) return { tell: async () => [] as HandedOn[] }
  // Two people leaving at the same moment (the DSL and the deputy, ended by two administrators) take turns: each reads
  // who decides a concern before and after its own write, and without this the two would each see the other still in
  // post, and nobody would be told. The lock is the partnership's, for this transaction.
  await sql`select pg_advisory_xact_lock(hashtext(${`concerns-waiting:${partnershipId}`}))`.execute(trx)
  // the only concerns a leaver can decide: routed to them; raised at their agency and not routed away; routed to the
  // safeguarding leads of their agency (they may stand in). At the front door, the last rung, nobody stands in after.
  const candidates = await trx
    .selectFrom('concern as k')
    .select('k.id')
    .where('k.partnership_id', '=', partnershipId)
    .where(STILL_WAITING)
    .where((eb) => {
      const agencies = eb.selectFrom('membership as lm').select('lm.agency_id').where('lm.partnership_id', '=', partnershipId).where('lm.id', 'in', leaving)
      return eb.or([
        sql<SqlBool>`k.routed_to && ${leaving}::uuid[]`,
        eb.and([sql<SqlBool>`k.routed_to = '{}'::uuid[]`, eb('k.agency_id', 'in', agencies)]),
        eb.and([eb('k.routed_via', '=', 'holder_leads'), eb.exists(eb.selectFrom('membership as rm').select('rm.id').where('rm.partnership_id', '=', partnershipId).where(sql<SqlBool>`rm.id = any(k.routed_to)`).where('rm.agency_id', 'in', agencies))]),
      ])
    })
    .execute()
  const before = (await decidersOf(trx, partnershipId, candidates.map((c) => c.id), now)).filter((d, _, all) => all.some((o) => o.concern_id === d.concern_id && leaving.includes(o.membership_id)))
  const waiting = [...new Set(before.map((d) => d.concern_id))]
  return {
    /**
     * After the write: tells those who now stand in, and records the concern's move to an agency it had not gone to as
     * a sharing decision (recordConcernHandOn); returns the concerns they were told of and the decisions (for the
     * audit row).
     */
    async tell(): Promise<HandedOn[]> {
      const told: HandedOn[] = []
      for (const d of groupBy(await decidersOf(trx, partnershipId, waiting, now))) {
        const fresh = d.memberships.filter((m) => !before.some((b) => b.concern_id === d.concern_id && b.membership_id === m))
        if (!fresh.length) continue
        await notifyMemberships(trx, partnershipId, fresh, { kind: 'concern.stand-in', childId: d.child_id, subjectType: 'concern', subjectId: d.concern_id, link: `/concerns/${d.concern_id}` }, now)
        const sharingDecisionIds = await recordConcernHandOn(trx, partnershipId, now, { concernId: d.concern_id, childId: d.child_id, toMemberships: fresh })
        told.push({ concernId: d.concern_id, childId: d.child_id, sharingDecisionIds })
      }
      return told
    },
  }

  function groupBy(rows: { concern_id: string; child_id: string; membership_id: string }[]) {
    const by = new Map<string, { concern_id: string; child_id: string; memberships: string[] }>()
    for (const r of rows) {
      const g = by.get(r.concern_id) ?? { concern_id: r.concern_id, child_id: r.child_id, memberships: [] }
      g.memberships.push(r.membership_id)
      by.set(r.concern_id, g)
    }
    return [...by.values()]
  }
}

export function concernsRepository(ctx: Ctx, actor: Actor) {
  const isLead = SAFEGUARDING_LEAD_ROLES.includes(actor.role)
  const decidedByMe = (eb: ExpressionBuilder<DB & { k: DB['concern'] }, 'k'>, trx: Transaction<DB>, now: Date) => concernDecidedBy(actor, eb, trx, now)

  /**
   * A concern the actor decides now (a predicate on `concern as k` joined to its `child as c`): one that is theirs to
   * decide by the routing rule (`concernDecidedBy`) about a child in their reach — or, whatever their reach, while it
   * still waits for a decision (`STILL_WAITING`: undecided, or kept open to monitor). A pupil who leaves the school
   * does not take an undecided concern out of the hands of those it waits for: the DSL still finds it in the queue and
   * closes it, saying what was done, rather than its staying "waiting" for nobody. Once decided, its history stays with
   * those who reach the child. The front door's stand-in is of a concern still waiting only, so it is inside this too.
   */
  const mayDecide = (eb: ExpressionBuilder<DB & { k: DB['concern']; c: DB['child'] }, 'k' | 'c'>, trx: Transaction<DB>, now: Date) =>
    eb.and([decidedByMe(eb as never, trx, now), eb.or([childInReach(actor, now)(eb as never), STILL_WAITING])])

  /**
   * Whether the actor may keep a concern they decide open to monitor (a predicate on `concern as k` joined to `child as
   * c`): while they reach the child, or standing in at the front door for those who left. Without either, a decision
   * closes or escalates it (triage), and the page offers only those.
   */
  const mayMonitor = (eb: ExpressionBuilder<DB & { k: DB['concern']; c: DB['child'] }, 'k' | 'c'>, trx: Transaction<DB>, now: Date) =>
    eb.or([childInReach(actor, now)(eb as never), frontDoorStandIn(actor, trx, now)])

  /**
   * A concern the actor may see (a predicate on `concern as k`): one they raised (they follow it), or one they decide
   * (`mayDecide`) — among those, one that waits on the front door because those it went to have left, for the front
   * door's members in post (`frontDoorStandIn`, inside `concernDecidedBy` and still waiting: the concern is the front
   * door's contact: it opens the concern and decides it, but not the child's record, unless it reaches the child).
   */
  const mayHandle = (eb: ExpressionBuilder<DB & { k: DB['concern']; c: DB['child'] }, 'k' | 'c'>, trx: Transaction<DB>, now: Date) =>
    eb.or([eb('k.raised_by_membership_id', '=', actor.membershipId), mayDecide(eb, trx, now)])

  /**
   * The concerns the actor may see (`mayHandle`). To read one (`read`), also one they recorded a decision on, in this
   * membership, while they still reach its child, or while they are at the front door in post: whoever stood in and
   * decided it (closed it, escalated it) goes back to their own decision and its history, though it waits for them no
   * longer. Deciding, linking and the queue ask `mayDecide`: a decision made once is no standing to decide again, nor is
   * having raised a concern (a DSL who raised one about a pupil who has since left decides it while it waits, as any
   * DSL of the school would, and not after).
   */
  function visibleConcerns(trx: Transaction<DB>, now: Date, purpose: 'handle' | 'read' = 'handle') {
    return trx
      .selectFrom('concern as k')
      .innerJoin('child as c', 'c.id', 'k.child_id')
      .where('k.partnership_id', '=', actor.partnershipId)
      .where((eb) => {
        const handled = mayHandle(eb, trx, now)
        if (purpose === 'handle') return handled
        const decidedItMyself = eb.exists(eb.selectFrom('triage_action as mt').select('mt.id').where('mt.partnership_id', '=', actor.partnershipId).whereRef('mt.concern_id', '=', 'k.id').where('mt.by_membership_id', '=', actor.membershipId))
        const stillPlaced = FRONT_DOOR_ROLES.includes(actor.role)
          ? eb.or([childInReach(actor, now)(eb as never), eb.exists(frontDoorNow(trx, actor.partnershipId, now).select('m.id').where('m.id', '=', actor.membershipId))])
          : childInReach(actor, now)(eb as never)
        return eb.or([handled, eb.and([decidedItMyself, stillPlaced])])
      })
  }

  return {
    async formOptions() {
      return auditedTransaction(ctx, actor, 'concern.form', async (trx) => {
        const categories = await trx.selectFrom('concern_category').select(['code', 'label']).where('partnership_id', '=', actor.partnershipId).where('active', '=', true).orderBy('sort').execute()
        return { result: { categories }, audit: { action: 'concern.form', outcome: 'success' } }
      })
    },

    async submit(sent: ConcernInput): Promise<SubmissionResult | null> {
      // a child's id as the database gives it back (lower case): both paths match what they made, and a replay what
      // was saved, by id, so an id sent in upper case (as some systems write a UUID) is the same child, not a change
      const input = { ...sent, childIds: sent.childIds.map((c) => c.toLowerCase()) }
      // the common case — known children, a new submission — is one statement; anything else (a replay, a child
      // out of reach, a withdrawn category, a child not yet known) takes the general path below, which decides
      // and audits it
      if (!input.newChild && input.childIds.length && input.childIds.every(isUuid)) {
        const made = await submitInOneStatement(input)
        if (made) return made
      }
      return auditedTransaction<SubmissionResult | null>(ctx, actor, 'concern.create', async (trx, now) => {
        // One statement takes the submission's lock (a double click makes one submission) and reads the category
        // and which named children are in my reach.
        const childIds = [...new Set(input.childIds)]
        if (childIds.some((id) => !isUuid(id))) return notFound()
        const looked = await trx
          .selectNoFrom((eb) => [
            sql<string>`pg_advisory_xact_lock(hashtext(${`concern:${actor.partnershipId}:${actor.membershipId}:${input.idempotencyKey}`}))::text`.as('locked'),
            eb
              .exists(eb.selectFrom('concern_category').select('code').where('partnership_id', '=', actor.partnershipId).where('code', '=', input.category).where('active', '=', true))
              .as('category_ok'),
            childIds.length
              ? eb.selectFrom('child as c').select(sql<string[]>`coalesce(array_agg(c.id), '{}')`.as('ids')).where('c.partnership_id', '=', actor.partnershipId).where('c.id', 'in', childIds).where(childInReach(actor, now)).as('in_reach')
              : sql<string[]>`'{}'::uuid[]`.as('in_reach'),
          ])
          .executeTakeFirstOrThrow()
        // then, in a statement that started after the lock was ours, has this submission been made already? (a key is
        // the raiser's own: another practitioner's use of the same key is another submission)
        const existing = await trx
          .selectFrom('concern as k')
          .innerJoin('child as c', 'c.id', 'k.child_id')
          .select(['k.id', 'k.child_id', 'k.submission_id', 'k.immediate_danger', 'k.category', 'k.seen_or_heard', 'k.child_words', 'k.occurred_at', 'k.location', 'k.other_children', 'k.body_map'])
          .select(['c.given_name', 'c.family_name', 'c.date_of_birth'])
          .where('k.partnership_id', '=', actor.partnershipId)
          .where('k.idempotency_key', '=', input.idempotencyKey)
          .where('k.raised_by_membership_id', '=', actor.membershipId)
          .execute()
        if (existing.length) {
          // the same form sent again (a double click, a refresh) is the first submission; the form changed and sent again
          // with its key is refused, never silently answered with the first version (a child not yet known was made
          // by the first submission, so it is the one child the form does not name)
          const named = new Set(existing.map((e) => e.child_id))
          const made = existing.filter((e) => !childIds.includes(e.child_id))
          const same =
            existing.length === childIds.length + (input.newChild ? 1 : 0) &&
            childIds.every((c) => named.has(c)) &&
            made.every((e) => e.given_name === input.newChild?.givenName && e.family_name === input.newChild.familyName && e.date_of_birth === input.newChild.dateOfBirth) &&
            existing.every(
              (e) =>
                e.category === input.category &&
                e.seen_or_heard === input.seenOrHeard &&
                (e.child_words ?? '') === (input.childWords || '') &&
                e.occurred_at.getTime() === input.occurredAt.getTime() &&
                (e.location ?? '') === (input.location || '') &&
                (e.other_children ?? '') === (input.otherChildren || '') &&
                e.immediate_danger === input.immediateDanger &&
                marks(e.body_map) === marks(input.bodyMap),
            )
          if (!same) throw new KeyReusedError('This idempotency key was already used for a different concern: choose a new key for a new concern')
          return {
            result: { submissionId: existing[0]!.submission_id, concerns: existing.map((e) => ({ id: e.id, childId: e.child_id })), immediateDanger: existing[0]!.immediate_danger, replayed: true },
            audit: { action: 'concern.create', outcome: 'success', entityType: 'concern_submission', entityId: existing[0]!.submission_id, childIds: existing.map((e) => e.child_id), details: { replayed: true } },
          }
        }
        if (!looked.category_ok) throw new FieldRefusedError('Choose a category from the list', 'category')
        if ((looked.in_reach ?? []).length !== childIds.length) return notFound()
        // the raiser's agency holds a record of the child until it is matched (its safeguarding leads see it)
        if (input.newChild) childIds.push(await createProvisionalChild(trx, actor, input.newChild, now, { source: 'provisional child named in a concern', reason: 'Named in a concern; not yet matched to a known child' }))
        if (!childIds.length) throw new RefusedError('Choose the child or children the concern is about')
        const submissionId = randomUUID()
        // each child's concern goes to my agency's safeguarding leads when they can open the child (the one-statement
        // path's case); a child they cannot open, to someone who can (routeAway), told by the same statement
        const home = await heldByMyAgency(trx, childIds, now)
        const made = new Map<string, { id: string; childId: string }>()
        const toWrite: { childIds: string[]; routed?: { to: string[]; via: ConcernRoute } }[] = [{ childIds: childIds.filter((c) => home.has(c)) }]
        for (const c of childIds.filter((c) => !home.has(c))) {
          const routed = await routeAway(trx, c, submissionId, now)
          // nobody at all (no front door in the partnership): my agency's leads, as before, rather than no concern
          toWrite.push(routed ? { childIds: [c], routed } : { childIds: [c] })
        }
        for (const w of toWrite.filter((w) => w.childIds.length)) {
          for (const k of await writeConcerns(trx, input, w.childIds, submissionId, now, { checkInStatement: false, auditInStatement: false }, w.routed)) {
            made.set(k.childId, k)
            // routed to people of another agency: my agency's information moves to theirs, which is itself a record —
            // one sharing decision per receiving agency, in this transaction (none for people of my own agency)
            if (w.routed) await recordConcernSharing(trx, actor, now, { concernId: k.id, childId: k.childId, routedTo: w.routed.to, route: w.routed.via })
          }
        }
        const concerns = childIds.map((c) => made.get(c)!)
        return {
          result: { submissionId, concerns, immediateDanger: input.immediateDanger, replayed: false },
          audit: { action: 'concern.create', outcome: 'success', entityType: 'concern_submission', entityId: submissionId, childIds, details: { concernIds: concerns.map((c) => c.id), category: input.category } },
        }
      })

      function marks(m: BodyMark[]) {
        return JSON.stringify(m.map((k) => [k.view, k.region, k.x ?? null, k.y ?? null, k.description]))
      }

      function notFound() {
        return { result: null, audit: { action: 'concern.create', outcome: 'not_found' as const, childIds: [] } }
      }

      /**
       * The children (of those given) whose concern goes to my agency's safeguarding leads: my agency holds a
       * relationship that brings the child into their reach (HELD_BY_AGENCY), and it has a safeguarding lead in post.
       * The same rule as the one-statement path's check (buildWrite).
       */
      async function heldByMyAgency(trx: Transaction<DB>, childIds: string[], now: Date): Promise<Set<string>> {
        const rows = await heldBy(trx, actor.partnershipId, actor.agencyId, childIds, now)
          .select('r.child_id')
          .distinct()
          .where((eb) => eb.exists(membershipsWithRolesQuery(trx, actor.partnershipId, actor.agencyId, SAFEGUARDING_LEAD_ROLES, now)))
          .execute()
        return new Set(rows.map((r) => r.child_id))
      }

      /**
       * Whom a concern about a child goes to when my own agency's safeguarding leads cannot open the child (I reach
       * them only through a relationship of my own: another school's pupil in a team around the child I am in): the
       * safeguarding leads in post of the agencies that hold the child (its school first, else an agency with its own
       * record); failing them, the lead practitioner of the child's open team around the child; failing them, the
       * front door's members, given a front-door relationship to the child so they can open it (as a risk signal does).
       * Never me: I raised it. Everyone returned reaches the child, so the concern opens for them and they decide it.
       */
      async function routeAway(trx: Transaction<DB>, childId: string, submissionId: string, now: Date): Promise<{ to: string[]; via: ConcernRoute } | null> {
        const holders = await currentMembershipsQuery(trx, actor.partnershipId, now)
          .innerJoin('relationship as r', (j) => j.onRef('r.holder_agency_id', '=', 'm.agency_id').on('r.partnership_id', '=', actor.partnershipId))
          .select(['m.id', 'r.type'])
          .where('r.child_id', '=', childId)
          .where('r.type', 'in', HELD_BY_AGENCY)
          .where('r.starts_at', '<=', now)
          .where((eb) => eb.or([eb('r.ends_at', 'is', null), eb('r.ends_at', '>', now)]))
          .where('m.role', 'in', SAFEGUARDING_LEAD_ROLES)
          .where('m.id', '<>', actor.membershipId)
          .execute()
        for (const type of HELD_BY_AGENCY) {
          const leads = holders.filter((h) => h.type === type).map((h) => h.id)
          if (leads.length) return { to: [...new Set(leads)].sort(), via: 'holder_leads' }
        }
        // the lead practitioner, while their membership of the team gives them the child (joining is the access grant)
        const teamLeads = await currentMembershipsQuery(trx, actor.partnershipId, now)
          .innerJoin('tac as t', (j) => j.onRef('t.lead_membership_id', '=', 'm.id').on('t.partnership_id', '=', actor.partnershipId))
          .innerJoin('tac_child as tc', (j) => j.onRef('tc.tac_id', '=', 't.id').on('tc.partnership_id', '=', actor.partnershipId))
          .select('m.id')
          .distinct()
          .where('tc.child_id', '=', childId)
          .where('t.status', '=', 'open')
          .where('m.id', '<>', actor.membershipId)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('relationship as r')
                .select('r.id')
                .where('r.partnership_id', '=', actor.partnershipId)
                .whereRef('r.holder_membership_id', '=', 'm.id')
                .where('r.child_id', '=', childId)
                .where('r.type', '=', 'team_member')
                .where('r.starts_at', '<=', now)
                .where((e2) => e2.or([e2('r.ends_at', 'is', null), e2('r.ends_at', '>', now)])),
            ),
          )
          .execute()
        if (teamLeads.length) return { to: teamLeads.map((l) => l.id).sort(), via: 'team_lead' }
        const frontDoor = await trx.selectFrom('team').select('id').where('partnership_id', '=', actor.partnershipId).where('is_front_door', '=', true).orderBy('id').executeTakeFirst()
        if (!frontDoor) return null
        const members = await currentMembershipsQuery(trx, actor.partnershipId, now).select('m.id').where('m.team_id', '=', frontDoor.id).where('m.role', 'in', FRONT_DOOR_ROLES).where('m.id', '<>', actor.membershipId).orderBy('m.id').execute()
        if (!members.length) return null
        await grantFrontDoorContact(trx, { partnershipId: actor.partnershipId, childId, teamId: frontDoor.id, source: `concern submission ${submissionId}`, reason: 'A concern that no agency holding the child, and no team around the child, could take', createdBy: actor.membershipId, now })
        return { to: members.map((m) => m.id), via: 'front_door' }
      }

      /**
       * A new concern about children in my reach, as one statement (so one implicit transaction) that checks the
       * category and the reach and writes the audit row too. The unique (partnership, raiser, idempotency key, child) makes a
       * double click insert nothing the second time (it waits for the first to commit); the caller then takes the
       * general path, which finds the replay. Returns null when nothing was inserted.
       */
      async function submitInOneStatement(input: ConcernInput): Promise<SubmissionResult | null> {
        const now = ctx.clock.now()
        const submissionId = randomUUID()
        let concerns: { id: string; childId: string }[]
        try {
          concerns = await writeConcerns(ctx.db, input, [...new Set(input.childIds)], submissionId, now, { checkInStatement: true, auditInStatement: true })
        } catch (err) {
          // audited as the general path's transaction audits a failure
          await auditFailure(ctx, actor, 'concern.create', now, err)
          throw err
        }
        return concerns.length ? { submissionId, concerns, immediateDanger: input.immediateDanger, replayed: false } : null
      }

      /**
       * Each child's concern and chronology entry, and the DSLs' in-app items and emails (no personal data), in one
       * statement — the one writer of both paths. The one-statement path also checks the category and the reach in
       * it (the general path has checked them under its lock) and writes its audit row in it (the general path's
       * transaction writes it). Returns the concerns inserted, in the order of childIds.
       */
      async function writeConcerns(
        db: Kysely<DB> | Transaction<DB>,
        input: ConcernInput,
        childIds: string[],
        submissionId: string,
        now: Date,
        opts: { checkInStatement: boolean; auditInStatement: boolean },
        routed?: { to: string[]; via: ConcernRoute },
      ): Promise<{ id: string; childId: string }[]> {
        const rows = childIds.map((childId) => ({ childId, id: randomUUID(), entryId: randomUUID() }))
        const significance: Significance = input.immediateDanger ? 'critical' : SERIOUS.has(input.category) ? 'high' : 'medium'
        // the text depends only on me and on the path (src/data/compiled-statements.ts); this submission's values fill it
        const key = `${actorKey(actor)}${JSON.stringify(opts)}`
        const values: WriteValues = {
          child: childIds[0],
          childIds,
          ids: rows.map((r) => r.id),
          entryIds: rows.map((r) => r.entryId),
          childCount: childIds.length,
          submissionId,
          now,
          category: input.category,
          seenOrHeard: input.seenOrHeard,
          childWords: input.childWords || null,
          occurredAt: input.occurredAt,
          occurredTimeKnown: input.occurredTimeKnown ?? true,
          location: input.location || null,
          otherChildren: input.otherChildren || null,
          immediateDanger: input.immediateDanger,
          bodyMap: JSON.stringify(input.bodyMap),
          idempotencyKey: input.idempotencyKey,
          significance,
          summary: summarise(input.seenOrHeard),
          requestId: actor.requestId,
          auditDetails: auditDetails(actor, { category: input.category }),
        }
        // one child (the common case) is `c.id in ($n)`, which keeps PostgreSQL on its generic plan (an array of them
        // would make it plan every time); several children are built each time with their own values
        // (a concern routed away, on the general path, is built each time: its text names whom it is routed to)
        const statement = childIds.length === 1 && !routed ? statements.fill(key, (slot) => buildWrite(db, slot, [slot.child], opts), values) : buildWrite(db, values, childIds, opts, routed)
        const made = await db.executeQuery<{ id: string; child_id: string }>(statement)
        const byChild = new Map(made.rows.map((r) => [r.child_id, r.id]))
        return childIds.filter((c) => byChild.has(c)).map((c) => ({ id: byChild.get(c)!, childId: c }))
      }

      /** The statement of writeConcerns for this actor and path, from a submission's values or from the stand-ins (WRITE_SLOT). */
      function buildWrite(db: Kysely<DB> | Transaction<DB>, slot: WriteValues, inList: readonly unknown[], opts: { checkInStatement: boolean; auditInStatement: boolean }, routed?: { to: string[]; via: ConcernRoute }) {
        const p = actor.partnershipId
        const now = slot.now as Date
        const inReach = db
          .selectFrom('child as c')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('c.partnership_id', '=', p)
          .where('c.id', 'in', inList as string[])
          .where(childInReach(actor, now))
        // …and my agency's safeguarding leads can open each child (heldByMyAgency's rule): a concern about a child they
        // cannot open is the general path's to route to someone who can (routeAway)
        const heldHere = heldBy(db, p, actor.agencyId, inList, now).select(sql<string>`count(distinct r.child_id)`.as('n'))
        const checked = opts.checkInStatement
          ? // …and the key is new: a key used before, for any child, is the general path's to replay or refuse (the
            // unique index alone would let a form sent again with another child add that child's concern)
            sql`(${inReach}) = ${slot.childCount} and exists (select 1 from concern_category where partnership_id = ${p}::uuid and code = ${slot.category}::text and active)
                and not exists (select 1 from concern where partnership_id = ${p}::uuid and raised_by_membership_id = ${actor.membershipId}::uuid and idempotency_key = ${slot.idempotencyKey}::text)
                and (${heldHere}) = ${slot.childCount} and exists (${membershipsWithRolesQuery(db, p, actor.agencyId, SAFEGUARDING_LEAD_ROLES, now)})`
          : sql`true`
        // who is told: my agency's safeguarding leads (not me), or those the concern was routed to (routeAway)
        const leads = routed
          ? currentMembershipsQuery(db, p, now).select(['m.id', 'p.email']).where('m.id', 'in', routed.to)
          : membershipsWithRolesQuery(db, p, actor.agencyId, SAFEGUARDING_LEAD_ROLES, now).where('m.id', '<>', actor.membershipId)
        // (a concern not routed away leaves routed_to to its default, empty, and routed_via null; a routed one records
        // which rung of routeAway it went by, so its status says whom it waits for)
        const [routedColumn, routedValue] = routed ? [sql`, routed_to, routed_via`, sql`, ${routed.to}::uuid[], ${routed.via}::text`] : [sql``, sql``]
        const email = emailFor('concern.new')
        const audit = { ...auditValues({ ...actor, requestId: slot.requestId as string }, now, { action: 'concern.create', outcome: 'success', entityType: 'concern_submission', entityId: slot.submissionId as string }), details: slot.auditDetails }
        const auditCte = opts.auditInStatement
          ? sql`,
          a as (
            insert into audit_event (partnership_id, at, actor_kind, actor_practitioner_id, actor_membership_id, action, entity_type, entity_id, child_ids, relationship_id, outcome, request_id, details)
            select ${audit.partnership_id}::uuid, ${audit.at}::timestamptz, ${audit.actor_kind}::text, ${audit.actor_practitioner_id}::uuid, ${audit.actor_membership_id}::uuid, ${audit.action}::text,
                   ${audit.entity_type}::text, ${audit.entity_id}::text, array_agg(k.child_id), ${audit.relationship_id}::uuid, ${audit.outcome}::text, ${audit.request_id}::text,
                   ${audit.details}::jsonb || jsonb_build_object('concernIds', jsonb_agg(k.id))
            from k
            having count(*) > 0
          )`
          : sql``
        return sql`/* prepared */
          with src as (
            select u.child_id, u.id, u.entry_id
            from unnest(${slot.childIds}::uuid[], ${slot.ids}::uuid[], ${slot.entryIds}::uuid[]) as u(child_id, id, entry_id)
            where ${checked}
          ),
          k as (
            insert into concern (id, partnership_id, submission_id, child_id, agency_id, raised_by_membership_id, category, seen_or_heard, child_words,
                                 occurred_at, location, other_children, immediate_danger, body_map, entry_id, idempotency_key, created_at${routedColumn})
            select src.id, ${p}::uuid, ${slot.submissionId}::uuid, src.child_id, ${actor.agencyId}::uuid, ${actor.membershipId}::uuid, ${slot.category}::text, ${slot.seenOrHeard}::text, ${slot.childWords}::text,
                   ${slot.occurredAt}::timestamptz, ${slot.location}::text, ${slot.otherChildren}::text, ${slot.immediateDanger}::boolean, ${slot.bodyMap}::jsonb, src.entry_id,
                   ${slot.idempotencyKey}::text, ${now}::timestamptz${routedValue}
            from src
            on conflict (partnership_id, raised_by_membership_id, idempotency_key, child_id) do nothing
            returning id, child_id, entry_id
          ),
          e as (
            insert into entry (id, partnership_id, child_id, type, category, occurred_at, occurred_time_known, recorded_at, author_membership_id, author_team_id, source_agency_id,
                               significance, summary, detail_type, detail_id, visibility)
            select k.entry_id, ${p}::uuid, k.child_id, 'concern', ${slot.category}::text, ${slot.occurredAt}::timestamptz, ${slot.occurredTimeKnown}::boolean, ${now}::timestamptz, ${actor.membershipId}::uuid, ${actor.teamId}::uuid, ${actor.agencyId}::uuid,
                   ${slot.significance}::text, ${slot.summary}::text, 'concern', k.id, 'agency'
            from k
          ),
          leads as (${leads}),
          n as (
            insert into notification (id, partnership_id, membership_id, kind, child_id, subject_type, subject_id, link, created_at)
            select gen_random_uuid(), ${p}::uuid, leads.id, 'concern.new', k.child_id, 'concern', k.id, '/concerns/' || k.id::text, ${now}::timestamptz
            from k cross join leads
          ),
          o as (
            insert into outbox (id, partnership_id, to_address, subject, body, created_at)
            select gen_random_uuid(), ${p}::uuid, x.email, ${email.subject}::text, ${email.body}::text, ${now}::timestamptz
            from k cross join (select distinct email from leads) x
          )${auditCte}
          select id, child_id from k`.compile(db)
      }
    },

    /** Concerns I raised, with the outcome fed back to me. */
    async mine() {
      return auditedTransaction(ctx, actor, 'concern.list', async (trx, now) => {
        const rows = await trx
          .selectFrom('concern as k')
          .innerJoin('child as c', 'c.id', 'k.child_id')
          .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
          .select(['k.id', 'k.status', 'k.created_at', 'k.child_id', 'c.given_name', 'c.family_name', 'cc.label as category', 'k.routed_via', routedNames, waitingVia(trx, actor.partnershipId, now).as('waiting_via')])
          .where('k.partnership_id', '=', actor.partnershipId)
          .where('k.raised_by_membership_id', '=', actor.membershipId)
          .orderBy('k.created_at', 'desc')
          .limit(200)
          .execute()
        // an open concern says whom it waits for: the DSL, or whom it was routed to (the raiser may see whom it went to),
        // or, once none of them is in post, whoever the routing rule names now
        return { result: rows.map(({ routed_names, waiting_via, ...r }) => ({ ...r, waiting_for: waitingFor({ status: r.status, waiting_via, routed_names }) })), audit: { action: 'concern.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))], details: { list: 'my-concerns' } } }
      })
    },

    /**
     * The open concerns I decide (mayDecide: the same rule as deciding one — about children in my reach, or still
     * waiting for a decision whoever reaches the child now), children in immediate danger first, then oldest first: a safeguarding lead's triage queue (raised in my agency, or routed to
     * me); for anyone else, the concerns routed to them — as a team's lead practitioner (of any role) or at the front
     * door — so an undecided concern is not found only through its notification. And, by the same rule, the concerns
     * being monitored: not closed, their latest decision "Keep open and monitor", with when and by whom it was made,
     * oldest decision first — so whoever decides them comes back to decide them again (close or escalate) rather than
     * finding them only through each child's record. One look, one audit row naming the children of both lists.
     */
    async queue() {
      return auditedTransaction(ctx, actor, 'concern.queue', async (trx, now) => {
        const mine = () =>
          visibleConcerns(trx, now)
            .innerJoin('membership as m', 'm.id', 'k.raised_by_membership_id')
            .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
            .select(['k.id', 'k.status', 'k.created_at', 'k.occurred_at', 'k.immediate_danger', 'k.child_id', 'c.given_name', 'c.family_name', 'c.provisional', 'cc.label as category', 'p.given_name as by_given', 'p.family_name as by_family'])
            .where((eb) => mayDecide(eb as never, trx, now))
        const open = await mine().where('k.status', '=', 'open').orderBy('k.immediate_danger', 'desc').orderBy('k.created_at').limit(500).execute()
        const monitored = await mine()
          // the concern's latest decision and who made it (two decisions take turns on the concern's row; two in the same
          // millisecond, by id)
          .innerJoinLateral(
            (eb) =>
              eb
                .selectFrom('triage_action as t')
                .innerJoin('membership as tm', 'tm.id', 't.by_membership_id')
                .innerJoin('practitioner as tp', 'tp.id', 'tm.practitioner_id')
                .select(['t.outcome', 't.created_at', 'tp.given_name', 'tp.family_name'])
                .where('t.partnership_id', '=', actor.partnershipId)
                .whereRef('t.concern_id', '=', 'k.id')
                .orderBy('t.created_at', 'desc')
                .orderBy('t.id', 'desc')
                .limit(1)
                .as('d'),
            (j) => j.onTrue(),
          )
          .select(['d.created_at as monitored_at', 'd.given_name as monitored_by_given', 'd.family_name as monitored_by_family'])
          .where('k.status', '<>', 'closed')
          .where('d.outcome', '=', 'monitor')
          .orderBy('d.created_at')
          .orderBy('k.created_at')
          .limit(500)
          .execute()
        return { result: { concerns: open, monitored }, audit: { action: 'concern.queue', outcome: 'success', childIds: [...new Set([...open, ...monitored].map((r) => r.child_id))] } }
      })
    },

    async get(concernId: string) {
      return auditedTransaction(ctx, actor, 'concern.view', async (trx, now) => {
        const none = { result: null, audit: { action: 'concern.view', outcome: 'not_found' as const, entityType: 'concern', entityId: concernId } }
        if (!isUuid(concernId)) return none
        const k = await visibleConcerns(trx, now, 'read')
          .innerJoin('membership as m', 'm.id', 'k.raised_by_membership_id')
          .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .innerJoin('agency as a', 'a.id', 'k.agency_id')
          .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
          .leftJoin('entry as e', (j) => j.onRef('e.id', '=', 'k.entry_id').onRef('e.partnership_id', '=', 'k.partnership_id'))
          .selectAll('k')
          .select(sql<boolean>`coalesce(e.occurred_time_known, true)`.as('occurred_time_known'))
          .select([routedNames, waitingVia(trx, actor.partnershipId, now).as('waiting_via')])
          // whether I decide it: the same predicate as the queue's and the decision's, in the same query
          // (one they decided once and reach now is theirs to read, not to decide; one they raised, to follow)
          .select((eb) => sql<boolean>`${mayDecide(eb as never, trx, now)}`.as('decides'))
          // whether I reach the child now: the page links to the child's record and offers a referral only then
          .select((eb) => sql<boolean>`${childInReach(actor, now)(eb as never)}`.as('reaches_child'))
          // and whether I may keep it open to monitor (triage's rule): reaching the child, or standing in at the front door
          .select((eb) => sql<boolean>`${mayMonitor(eb as never, trx, now)}`.as('may_monitor'))
          .select(['c.given_name', 'c.family_name', 'c.date_of_birth', 'c.provisional', 'cc.label as category_label', 'p.given_name as by_given', 'p.family_name as by_family', 'm.role as by_role', 'a.name as agency_name'])
          .where('k.id', '=', concernId)
          .executeTakeFirst()
        if (!k) return none
        const [triage, links, siblings, referrals] = await Promise.all([
          trx
            .selectFrom('triage_action as t')
            .innerJoin('membership as m', 'm.id', 't.by_membership_id')
            .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .select(['t.id', 't.actions', 't.outcome', 't.reasons', 't.created_at', 'p.given_name', 'p.family_name'])
            .where('t.partnership_id', '=', actor.partnershipId)
            .where('t.concern_id', '=', concernId)
            .orderBy('t.created_at')
            .execute(),
          isLead
            ? visibleConcerns(trx, now)
                .innerJoin('concern_link as l', (j) => j.onRef('l.linked_concern_id', '=', 'k.id'))
                .select(['k.id', 'k.created_at', 'c.given_name', 'c.family_name', 'k.category'])
                .where('l.concern_id', '=', concernId)
                .execute()
            : Promise.resolve([]),
          isLead
            ? visibleConcerns(trx, now)
                // the kind as the partnership names it, as the queue and my list read it
                .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
                .select(['k.id', 'k.created_at', 'c.given_name', 'c.family_name', 'k.category', 'cc.label as category_label', 'k.status'])
                .where((eb) => mayDecide(eb as never, trx, now))
                .where('k.id', '<>', concernId)
                .where((eb) => eb.or([eb('k.child_id', '=', k.child_id), eb('k.submission_id', '=', k.submission_id)]))
                .orderBy('k.created_at', 'desc')
                .limit(50)
                .execute()
            : Promise.resolve([]),
          // referrals made from this concern: the decision and its rationale once the referrer has been told
          // (what the referrer sees; never the front door's checks)
          trx
            .selectFrom('referral')
            .select(['id', 'kind', 'status', 'received_at', 'referrer_told_at', 'decision', 'rationale', 'level_found'])
            .where('partnership_id', '=', actor.partnershipId)
            .where('child_id', '=', k.child_id)
            .where(sql<boolean>`concern_ids @> array[${concernId}]::uuid[]`)
            .orderBy('received_at')
            .execute(),
        ])
        const told = referrals.map((f) => ({ ...f, decision: f.referrer_told_at ? f.decision : null, rationale: f.referrer_told_at ? f.rationale : null, level_found: f.referrer_told_at ? f.level_found : null }))
        // a concern routed away says to whom (those still in post), so its raiser is not told "your DSL has been alerted"
        const routedTo = k.routed_to.length ? (await casePractitioners(trx, actor.partnershipId, now, { ids: k.routed_to })).map((r) => ({ name: r.name, roleLabel: r.roleLabel, agency: r.agency })) : []
        return {
          result: { concern: { ...k, waiting_for: waitingFor(k) }, triage, links, related: siblings, referrals: told, routedTo, canTriage: Boolean(k.decides) },
          audit: { action: 'concern.view', outcome: 'success', entityType: 'concern', entityId: concernId, childIds: [k.child_id] },
        }
      })
    },

    /**
     * Whoever decides the concern (its agency's safeguarding leads, or those it was routed to) records actions, the
     * outcome and the reasons; the outcome is fed back to whoever raised it.
     */
    async triage(concernId: string, input: { actions: TriageActionCode[]; outcome: keyof typeof TRIAGE_OUTCOMES; reasons: string }) {
      return auditedTransaction(ctx, actor, 'concern.triage', async (trx, now) => {
        const none = { result: null, audit: { action: 'concern.triage', outcome: 'not_found' as const, entityType: 'concern', entityId: concernId } }
        if (!isUuid(concernId)) return none
        // the concern's row is held until the decision is in: two DSLs deciding at the same moment take turns, and the
        // second sees the first's (a closed concern is not decided again)
        const k = await visibleConcerns(trx, now)
          .select(['k.id', 'k.child_id', 'k.agency_id', 'k.raised_by_membership_id', 'k.category', 'k.status'])
          .select((eb) => sql<boolean>`${mayMonitor(eb as never, trx, now)}`.as('may_monitor'))
          .where('k.id', '=', concernId)
          .where((eb) => mayDecide(eb as never, trx, now))
          .forNoKeyUpdate('k')
          .executeTakeFirst()
        if (!k) return none
        if (k.status === 'closed') throw new RefusedError('This concern is closed')
        // one who decides it without reaching the child (a pupil who has left, a team that closed) closes or escalates
        // it: keeping it open to monitor a child one no longer works with would keep the concern theirs for ever, with
        // nothing to watch. The front door standing in for those who left may keep it open: it is the front door's now.
        if (!k.may_monitor && input.outcome === 'monitor') throw new FieldRefusedError('You no longer work with this child: close the concern or escalate it, and say what was done', 'outcome')
        const entryId = randomUUID()
        const id = randomUUID()
        // each action once, in the order given (a form's checkboxes cannot repeat one; a tampered form can)
        const actions = [...new Set(input.actions)]
        const actionText = actions.map((a) => TRIAGE_ACTIONS[a]).join('; ')
        await trx
          .insertInto('entry')
          .values({
            id: entryId,
            partnership_id: actor.partnershipId,
            child_id: k.child_id,
            type: 'dsl_action',
            category: k.category,
            ...authoredNow(actor, now),
            significance: actions.includes('refer_front_door') || actions.includes('police') ? 'high' : 'medium',
            summary: `DSL decision: ${actionText}. Outcome: ${TRIAGE_OUTCOMES[input.outcome]}. Reasons: ${input.reasons}`,
            detail_type: 'triage_action',
            detail_id: id,
            visibility: 'agency',
            // the outcome and its reasons are fed back to whoever raised the concern
            addressed_to_membership_id: k.raised_by_membership_id,
            agency_record_id: null,
            supersedes_entry_id: null,
          })
          .execute()
        await trx.insertInto('triage_action').values({ id, partnership_id: actor.partnershipId, concern_id: concernId, child_id: k.child_id, by_membership_id: actor.membershipId, actions, outcome: input.outcome, reasons: input.reasons, entry_id: entryId, created_at: now }).execute()
        await trx.updateTable('concern').set({ status: input.outcome === 'closed' ? 'closed' : 'triaged' }).where('id', '=', concernId).where('partnership_id', '=', actor.partnershipId).execute()
        if (k.raised_by_membership_id !== actor.membershipId) {
          await notifyMemberships(trx, actor.partnershipId, [k.raised_by_membership_id], { kind: 'concern.outcome', childId: k.child_id, subjectType: 'concern', subjectId: concernId, link: `/concerns/${concernId}` }, now)
        }
        return {
          result: { id },
          audit: { action: 'concern.triage', outcome: 'success', entityType: 'concern', entityId: concernId, childIds: [k.child_id], details: { actions, outcome: input.outcome } },
        }
      })
    },

    /** Links two concerns I decide (patterns over time, siblings): my agency's, or routed to me. */
    async link(concernId: string, otherId: string) {
      return auditedTransaction(ctx, actor, 'concern.link', async (trx, now) => {
        const none = { result: null, audit: { action: 'concern.link', outcome: 'not_found' as const, entityType: 'concern', entityId: concernId } }
        if (!isLead || !isUuid(concernId) || !isUuid(otherId) || concernId === otherId) return none
        const both = await visibleConcerns(trx, now).select(['k.id', 'k.child_id']).where('k.id', 'in', [concernId, otherId]).where((eb) => mayDecide(eb as never, trx, now)).execute()
        if (both.length !== 2) return none
        await trx
          .insertInto('concern_link')
          .values([
            { partnership_id: actor.partnershipId, concern_id: concernId, linked_concern_id: otherId, linked_by_membership_id: actor.membershipId, created_at: now },
            { partnership_id: actor.partnershipId, concern_id: otherId, linked_concern_id: concernId, linked_by_membership_id: actor.membershipId, created_at: now },
          ])
          .onConflict((oc) => oc.doNothing())
          .execute()
        return { result: { ok: true }, audit: { action: 'concern.link', outcome: 'success', entityType: 'concern', entityId: concernId, childIds: [...new Set(both.map((b) => b.child_id))], details: { linked: otherId } } }
      })
    },
  }
}

function summarise(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > 240 ? `${t.slice(0, 237)}…` : t
}

export type ConcernsRepository = ReturnType<typeof concernsRepository>
