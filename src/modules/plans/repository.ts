// The joint agency plan of a team around the child and its reviews. Outcomes in plain words (what will be
// different for the child), each with the actions agreed: who (practitioner and agency, or a family member),
// what, when, where, the cost, and how progress is measured (a 0–10 scale or a named measure); the review date.
// Every change records a plan version (a snapshot and a change summary) so versions can be compared; edits carry
// the row's row_version, so two members editing at once never lose each other's changes (a stale edit of the same
// row is a conflict showing both versions; edits of different rows both succeed). Reviews score each outcome,
// record each action's status (overdue flagged) and the child's and family's views, and meet the review clock
// (R21) the team set. Members change; anyone who may see the team (tacInReach) reads.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { ROLE_LABELS, isRole } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { tacMembersInPostQuery } from '../../data/memberships.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { ActionStatus, DB } from '../../data/schema.ts'
import { auditedTransaction, FieldRefusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { londonDateTime } from '../../web/dates.ts'
import { childForTeamRead, LEVEL_LABELS, openTeamOfChild, tacForChange, tacInReach, writeTacEntries, type TacAccess } from '../tac/access.ts'
import type { ProgressData } from './chart.ts'
import {
  actionChanges,
  addPlanAction,
  changeText,
  currentPlan,
  diffSnapshots,
  EMPTY_SNAPSHOT,
  formatPence,
  measureText,
  outcomeChanges,
  planChanged,
  snapshotOf,
  STATUS_LABELS,
  type NewPlanAction,
  type PlanActionRow,
  type PlanDiff,
  type PlanOutcomeRow,
  type PlanSnapshot,
} from './plan-store.ts'


/** An action added to an outcome removed since the form was opened (the route shows the plan with this message). */
export class OutcomeRemovedError extends RefusedError {}

export interface OutcomeInput {
  childId: string | null
  body: string
  measure: 'scale' | 'named'
  measureName: string | null
}

/** An action edited on the plan page (its outcome named by the route); the owner is a joined member, or null for someone named in ownerName. */
export type ActionInput = Omit<NewPlanAction, 'outcomeId' | 'meetingId'> & { status?: ActionStatus }

export interface ReviewInput {
  heldOn: string
  meetingId: string | null
  scores: { outcomeId: string; score: number; note: string }[]
  /**
   * The status of each action at the review; `shown`, the status the form showed when it was opened (the page sends
   * it): a status the reviewer left as shown is the action's status now — another member may have changed it since —
   * and one they changed, over another's change made since, is refused.
   */
  actions: { actionId: string; status: ActionStatus; note: string; shown?: ActionStatus }[]
  childView: string
  familyView: string
  summary: string
  nextReviewOn: string | null
  lateReason: string | null
}

/** What the other member's current version and the row version to apply yours on top of. */
export interface Conflict {
  kind: 'outcome' | 'action' | 'review_date'
  rowVersion: number
  theirs: Record<string, string>
  removed: boolean
}

export interface TeamMemberOption {
  membershipId: string
  name: string
  agency: string
  role: string
}

/** A change: done (the plan's version after it), or a conflict with someone else's change to the same row. */
export type ChangeResult = { id?: string; version: number; unchanged?: boolean; conflict?: undefined } | { conflict: Conflict }

const DONE: readonly ActionStatus[] = ['done', 'dropped']

/** An action is overdue when its due date has passed (before `today`) and it is neither done nor dropped. */
export function isOverdue(a: { dueOn: string; status: ActionStatus }, today: string): boolean {
  return a.dueOn < today && !DONE.includes(a.status)
}

/** The 5pm London instant of a review date: when the R21 clock falls due. */
export const reviewDueAt = (date: string) => londonDateTime.toInstant(date, '17:00')

function outcomeTheirs(o: { body: string; childId: string | null; measure: 'scale' | 'named'; measureName: string | null }, childName: (id: string | null) => string) {
  return { body: o.body, child: childName(o.childId), measure: measureText(o) }
}

function actionTheirs(a: Omit<PlanActionRow, 'id' | 'outcomeId' | 'meetingId' | 'rowVersion'>) {
  return { what: a.what, owner: `${a.ownerName}${a.ownerAgency ? ` (${a.ownerAgency})` : ''}`, dueOn: a.dueOn, place: a.place, cost: formatPence(a.costPence) || 'none', status: STATUS_LABELS[a.status] }
}

export function plansRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const notFound = (action: string, entityId: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType: 'tac', entityId } })
  const success = (action: string, tac: TacAccess, details?: Record<string, unknown>) => ({ action, outcome: 'success' as const, entityType: 'tac', entityId: tac.id, childIds: tac.childIds, relationshipId: tac.relationshipId, ...(details ? { details } : {}) })
  const conflicted = (action: string, tac: TacAccess, conflict: Conflict) => ({ result: { conflict } as ChangeResult, audit: { action, outcome: 'refused' as const, entityType: 'tac', entityId: tac.id, childIds: tac.childIds, details: { conflict: conflict.kind } } })

  async function children(trx: Transaction<DB>, tac: TacAccess) {
    if (!tac.childIds.length) return []
    return trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', tac.childIds).orderBy('date_of_birth').orderBy('given_name').execute()
  }

  /** The joined members of the team in post: those an action can be given to. */
  async function teamMembers(trx: Transaction<DB>, tacId: string, now: Date): Promise<TeamMemberOption[]> {
    const rows = await tacMembersInPostQuery(trx, actor.partnershipId, tacId, now)
      .innerJoin('agency as a', 'a.id', 'm.agency_id')
      .select(['tm.membership_id', 'tm.team_role', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency'])
      .orderBy('a.name')
      .orderBy('p.family_name')
      .execute()
    return rows.map((r) => ({ membershipId: r.membership_id, name: `${r.given_name} ${r.family_name}`, agency: r.agency, role: r.team_role || (isRole(r.role) ? ROLE_LABELS[r.role] : r.role) }))
  }

  function childNamer(kids: { id: string; given_name: string; family_name: string }[]) {
    return (id: string | null) => {
      if (!id) return kids.length > 1 ? 'All the children' : (kids[0]?.given_name ?? 'The child')
      const c = kids.find((k) => k.id === id)
      return c ? `${c.given_name} ${c.family_name}` : 'A child no longer in the team'
    }
  }

  async function latestReview(trx: Transaction<DB>, tacId: string) {
    return trx.selectFrom('review').select(['id', 'held_on', 'plan_version', 'next_review_on']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('held_on', 'desc').orderBy('recorded_at', 'desc').limit(1).executeTakeFirst()
  }

  async function snapshot(trx: Transaction<DB>, tac: TacAccess, version: number): Promise<PlanSnapshot | undefined> {
    if (version === 0) return EMPTY_SNAPSHOT
    const row = await trx.selectFrom('plan_version').select('snapshot').where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tac.id).where('version', '=', version).executeTakeFirst()
    if (!row) return undefined
    return (typeof row.snapshot === 'string' ? JSON.parse(row.snapshot) : row.snapshot) as PlanSnapshot
  }

  /** The member chosen as an action's owner must be a joined member of the team; their name and agency recorded. */
  async function resolveOwner(trx: Transaction<DB>, tacId: string, input: ActionInput, now: Date): Promise<ActionInput> {
    if (!input.ownerMembershipId) {
      if (!input.ownerName) throw new RefusedError('Say who will do this')
      return input
    }
    const m = (await teamMembers(trx, tacId, now)).find((x) => x.membershipId === input.ownerMembershipId)
    if (!m) throw new RefusedError('The person doing an action must be a member of the team, or name them as someone else')
    return { ...input, ownerName: m.name, ownerAgency: m.agency }
  }

  async function lockedOutcome(trx: Transaction<DB>, tacId: string, outcomeId: string) {
    if (!isUuid(outcomeId)) return undefined
    return trx.selectFrom('plan_outcome').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('id', '=', outcomeId).forUpdate().executeTakeFirst()
  }

  async function lockedAction(trx: Transaction<DB>, tacId: string, actionId: string) {
    if (!isUuid(actionId)) return undefined
    return trx.selectFrom('plan_action').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('id', '=', actionId).forUpdate().executeTakeFirst()
  }

  /** The plan as pages show it: outcomes (per child) with their actions, overdue ones flagged. */
  async function planView(trx: Transaction<DB>, tac: TacAccess, now: Date) {
    const today = londonDateTime(now).date
    const [kids, plan, members, review] = await Promise.all([children(trx, tac), currentPlan(trx, actor.partnershipId, tac.id), teamMembers(trx, tac.id, now), latestReview(trx, tac.id)])
    const childName = childNamer(kids)
    const outcomes = plan.map((o, i) => ({
      ...o,
      number: i + 1,
      forName: childName(o.childId),
      measureText: measureText(o),
      actions: o.actions.map((a) => ({ ...a, overdue: isOverdue(a, today), costText: formatPence(a.costPence), statusLabel: STATUS_LABELS[a.status] })),
    }))
    const totalPence = plan.flatMap((o) => o.actions).reduce((sum, a) => sum + (a.costPence ?? 0), 0)
    return { tac, levelLabel: LEVEL_LABELS[tac.level], children: kids, outcomes, members, latestReview: review ?? null, today, totalCost: formatPence(totalPence), canEdit: tac.isMember && tac.status === 'open' }
  }

  return {
    /** The plan page (and the edit forms, the family rendering and the PDF, under their own audit actions). */
    async plan(tacId: string, action: 'plan.view' | 'plan.family' | 'plan.export' = 'plan.view', details?: Record<string, unknown>) {
      return auditedTransaction(ctx, actor, action, async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound(action, tacId)
        return { result: await planView(trx, tac, now), audit: success(action, tac, details) }
      })
    },

    /**
     * The API's joint plan of a child: the plan of the open team around the child (openTeamOfChild) as its page shows
     * it, or null when there is none the actor may see. One audited read; a child out of reach is not found.
     */
    async planOfChild(childId: string) {
      return auditedTransaction(ctx, actor, 'plan.child', async (trx, now) => {
        const child = await childForTeamRead(trx, actor, childId, now)
        if (!child) return { result: null, audit: { action: 'plan.child', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        const tac = await openTeamOfChild(trx, actor, childId, now)
        const plan = tac ? await planView(trx, tac, now) : null
        return {
          result: { child, plan },
          audit: { action: 'plan.child', outcome: 'success', entityType: 'child', entityId: childId, childIds: tac ? [childId, ...tac.childIds.filter((c) => c !== childId)] : [childId], relationshipId: tac?.relationshipId ?? null, ...(tac ? { details: { tac: tac.id, version: tac.planVersion } } : {}) },
        }
      })
    },

    async addOutcome(tacId: string, input: OutcomeInput) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.outcome', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.outcome', tacId)
        if (input.childId && !tac.childIds.includes(input.childId)) throw new RefusedError('Choose a child of this team, or all the children')
        const sort = await trx.selectFrom('plan_outcome').select(sql<number>`coalesce(max(sort), 0) + 1`.as('n')).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).executeTakeFirstOrThrow()
        const id = randomUUID()
        await trx.insertInto('plan_outcome').values({ id, partnership_id: actor.partnershipId, tac_id: tacId, child_id: input.childId, body: input.body, measure: input.measure, measure_name: input.measure === 'named' ? input.measureName : null, sort: sort.n, created_at: now }).execute()
        const version = await planChanged(trx, actor, now, tac, `Outcome '${input.body}' added`)
        return { result: { id, version }, audit: success('plan.outcome', tac, { op: 'add', outcomeId: id, version }) }
      })
    },

    async editOutcome(tacId: string, outcomeId: string, rowVersion: number, input: OutcomeInput) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.outcome', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.outcome', tacId)
        const row = await lockedOutcome(trx, tacId, outcomeId)
        if (!row) return notFound('plan.outcome', tacId)
        const childName = childNamer(await children(trx, tac))
        const current = { body: row.body, childId: row.child_id, measure: row.measure, measureName: row.measure_name, sort: row.sort, id: row.id }
        if (row.removed_at || row.row_version !== rowVersion) return conflicted('plan.outcome', tac, { kind: 'outcome', rowVersion: row.row_version, theirs: outcomeTheirs(current, childName), removed: Boolean(row.removed_at) })
        if (input.childId && !tac.childIds.includes(input.childId)) throw new RefusedError('Choose a child of this team, or all the children')
        const next = { ...current, body: input.body, childId: input.childId, measure: input.measure, measureName: input.measure === 'named' ? input.measureName : null }
        const changes = outcomeChanges(current, next, childName)
        if (!changes.length) return { result: { id: row.id, version: tac.planVersion, unchanged: true }, audit: success('plan.outcome', tac, { op: 'edit', outcomeId: row.id, unchanged: true }) }
        await trx
          .updateTable('plan_outcome')
          .set({ body: next.body, child_id: next.childId, measure: next.measure, measure_name: next.measureName, row_version: sql`row_version + 1` })
          .where('id', '=', row.id)
          .execute()
        const version = await planChanged(trx, actor, now, tac, `Outcome '${row.body}' ${changeText(changes)}`)
        return { result: { id: row.id, version }, audit: success('plan.outcome', tac, { op: 'edit', outcomeId: row.id, version, fields: changes.map((c) => c.field) }) }
      })
    },

    /** Removing an outcome removes its actions (kept in the earlier versions, and in the reviews that scored them). */
    async removeOutcome(tacId: string, outcomeId: string, rowVersion: number) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.outcome', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.outcome', tacId)
        const row = await lockedOutcome(trx, tacId, outcomeId)
        if (!row) return notFound('plan.outcome', tacId)
        if (row.removed_at) return { result: { id: row.id, version: tac.planVersion, unchanged: true }, audit: success('plan.outcome', tac, { op: 'remove', outcomeId: row.id, unchanged: true }) }
        if (row.row_version !== rowVersion) {
          const childName = childNamer(await children(trx, tac))
          return conflicted('plan.outcome', tac, { kind: 'outcome', rowVersion: row.row_version, theirs: outcomeTheirs({ body: row.body, childId: row.child_id, measure: row.measure, measureName: row.measure_name }, childName), removed: false })
        }
        await trx.updateTable('plan_outcome').set({ removed_at: now, row_version: sql`row_version + 1` }).where('id', '=', row.id).execute()
        await trx.updateTable('plan_action').set({ removed_at: now, row_version: sql`row_version + 1` }).where('outcome_id', '=', row.id).where('removed_at', 'is', null).execute()
        const version = await planChanged(trx, actor, now, tac, `Outcome '${row.body}' removed (with its actions)`)
        return { result: { id: row.id, version }, audit: success('plan.outcome', tac, { op: 'remove', outcomeId: row.id, version }) }
      })
    },

    async addAction(tacId: string, outcomeId: string, input: ActionInput) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.action', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.action', tacId)
        const outcome = await lockedOutcome(trx, tacId, outcomeId)
        if (!outcome) return notFound('plan.action', tacId)
        // removed by someone else since the form was opened: said so, with what was typed, rather than "not found"
        if (outcome.removed_at) throw new OutcomeRemovedError(`The outcome “${outcome.body}” was removed from the plan since you opened the form, so your action was not added: “${input.what}”. Add it to another outcome if it is still needed.`)
        const v = await resolveOwner(trx, tacId, input, now)
        const id = await addPlanAction(trx, actor, now, tac, { outcomeId, what: v.what, ownerMembershipId: v.ownerMembershipId, ownerName: v.ownerName, ownerAgency: v.ownerAgency, dueOn: v.dueOn, place: v.place, costPence: v.costPence })
        return { result: { id, version: tac.planVersion }, audit: success('plan.action', tac, { op: 'add', actionId: id, version: tac.planVersion }) }
      })
    },

    /** Edits an action (all its fields, or only its status when `input` is just a status). */
    async editAction(tacId: string, actionId: string, rowVersion: number, input: ActionInput | { status: ActionStatus }) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.action', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.action', tacId)
        const row = await lockedAction(trx, tacId, actionId)
        if (!row) return notFound('plan.action', tacId)
        const current = { what: row.what, ownerMembershipId: row.owner_membership_id, ownerName: row.owner_name, ownerAgency: row.owner_agency, dueOn: row.due_on, place: row.place, costPence: row.cost_pence, status: row.status, outcomeId: row.outcome_id, meetingId: row.meeting_id }
        if (row.removed_at || row.row_version !== rowVersion) return conflicted('plan.action', tac, { kind: 'action', rowVersion: row.row_version, theirs: actionTheirs(current), removed: Boolean(row.removed_at) })
        const full = 'what' in input ? await resolveOwner(trx, tacId, input, now) : null
        const next = full
          ? { ...current, what: full.what, ownerMembershipId: full.ownerMembershipId, ownerName: full.ownerName, ownerAgency: full.ownerAgency, dueOn: full.dueOn, place: full.place, costPence: full.costPence, status: full.status ?? current.status }
          : { ...current, status: (input as { status: ActionStatus }).status }
        const changes = actionChanges(current, next)
        if (!changes.length) return { result: { id: row.id, version: tac.planVersion, unchanged: true }, audit: success('plan.action', tac, { op: 'edit', actionId: row.id, unchanged: true }) }
        await trx
          .updateTable('plan_action')
          .set({ what: next.what, owner_membership_id: next.ownerMembershipId, owner_name: next.ownerName, owner_agency: next.ownerAgency, due_on: next.dueOn, place: next.place, cost_pence: next.costPence, status: next.status, row_version: sql`row_version + 1` })
          .where('id', '=', row.id)
          .execute()
        const version = await planChanged(trx, actor, now, tac, `Action '${row.what}' ${changeText(changes)}`)
        return { result: { id: row.id, version }, audit: success('plan.action', tac, { op: full ? 'edit' : 'status', actionId: row.id, version, fields: changes.map((c) => c.field) }) }
      })
    },

    async removeAction(tacId: string, actionId: string, rowVersion: number) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.action', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.action', tacId)
        const row = await lockedAction(trx, tacId, actionId)
        if (!row) return notFound('plan.action', tacId)
        if (row.removed_at) return { result: { id: row.id, version: tac.planVersion, unchanged: true }, audit: success('plan.action', tac, { op: 'remove', actionId: row.id, unchanged: true }) }
        if (row.row_version !== rowVersion) {
          return conflicted('plan.action', tac, { kind: 'action', rowVersion: row.row_version, theirs: actionTheirs({ what: row.what, ownerMembershipId: row.owner_membership_id, ownerName: row.owner_name, ownerAgency: row.owner_agency, dueOn: row.due_on, place: row.place, costPence: row.cost_pence, status: row.status }), removed: false })
        }
        await trx.updateTable('plan_action').set({ removed_at: now, row_version: sql`row_version + 1` }).where('id', '=', row.id).execute()
        const version = await planChanged(trx, actor, now, tac, `Action '${row.what}' removed`)
        return { result: { id: row.id, version }, audit: success('plan.action', tac, { op: 'remove', actionId: row.id, version }) }
      })
    },

    /**
     * The review date. `previous` is the date the member saw: if someone else changed it meanwhile, a conflict (a
     * field check, so the team's other changes — a level change, a new member — never conflict with it).
     * Setting it starts the review clock (R21, due 5pm that day); clearing it stops the clock.
     */
    async setReviewDate(tacId: string, date: string | null, previous: string | null) {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'plan.review_date', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('plan.review_date', tacId)
        if ((tac.nextReviewOn ?? null) !== previous) return conflicted('plan.review_date', tac, { kind: 'review_date', rowVersion: tac.rowVersion, theirs: { nextReviewOn: tac.nextReviewOn ?? 'not set' }, removed: false })
        if (date === tac.nextReviewOn) return { result: { version: tac.planVersion, unchanged: true }, audit: success('plan.review_date', tac, { unchanged: true }) }
        if (date && date < londonDateTime(now).date) throw new RefusedError('The review date cannot be in the past')
        await trx.updateTable('tac').set({ next_review_on: date }).where('id', '=', tac.id).execute()
        await reviewClock(trx, tac, now, date)
        tac.nextReviewOn = date
        const version = await planChanged(trx, actor, now, tac, `Review date ${date === null ? 'cleared' : 'set'}: ${previous ?? 'not set'} → ${date ?? 'not set'}`)
        return { result: { version }, audit: success('plan.review_date', tac, { version }) }
      })
    },

    async versions(tacId: string) {
      return auditedTransaction(ctx, actor, 'plan.versions', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('plan.versions', tacId)
        const [kids, rows, reviews] = await Promise.all([
          children(trx, tac),
          trx
            .selectFrom('plan_version as v')
            .innerJoin('membership as m', 'm.id', 'v.changed_by')
            .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .innerJoin('agency as a', 'a.id', 'm.agency_id')
            .select(['v.version', 'v.change_summary', 'v.changed_at', 'p.given_name', 'p.family_name', 'a.name as agency'])
            .where('v.partnership_id', '=', actor.partnershipId)
            .where('v.tac_id', '=', tacId)
            .orderBy('v.version', 'desc')
            .execute(),
          trx.selectFrom('review').select(['held_on', 'plan_version']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('held_on').execute(),
        ])
        return {
          result: { tac, levelLabel: LEVEL_LABELS[tac.level], children: kids, versions: rows.map((r) => ({ ...r, by: `${r.given_name} ${r.family_name}`, reviews: reviews.filter((x) => x.plan_version === r.version).map((x) => x.held_on) })), current: tac.planVersion },
          audit: success('plan.versions', tac),
        }
      })
    },

    /**
     * Two versions compared field by field; `to` null = the current version; `from` 'review' = the version the
     * latest review saw ("what changed since the last review").
     */
    async compare(tacId: string, from: number | 'review', to: number | null) {
      return auditedTransaction(ctx, actor, 'plan.compare', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('plan.compare', tacId)
        const kids = await children(trx, tac)
        const review = await latestReview(trx, tacId)
        const fromVersion = from === 'review' ? (review?.plan_version ?? null) : from
        const toVersion = to ?? tac.planVersion
        const base = { tac, levelLabel: LEVEL_LABELS[tac.level], children: kids, review: review ?? null, current: tac.planVersion, to: toVersion, missing: false, noReview: false, from: fromVersion, diff: null as PlanDiff | null }
        if (fromVersion === null) return { result: { ...base, noReview: true }, audit: success('plan.compare', tac, { from: 'review', to: toVersion }) }
        const [a, b] = [await snapshot(trx, tac, fromVersion), await snapshot(trx, tac, toVersion)]
        if (!a || !b) return { result: { ...base, missing: true }, audit: success('plan.compare', tac, { from: fromVersion, to: toVersion }) }
        return { result: { ...base, diff: diffSnapshots(a, b, childNamer(kids)) }, audit: success('plan.compare', tac, { from: fromVersion, to: toVersion }) }
      })
    },

    /** Reviews with their scores and action statuses, the progress data, and (for members) the form's plan. */
    async reviews(tacId: string, action: 'review.list' | 'review.form' | 'review.progress' = 'review.list') {
      return auditedTransaction(ctx, actor, action, async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound(action, tacId)
        const view = await planView(trx, tac, now)
        const reviews = await trx
          .selectFrom('review as r')
          .innerJoin('membership as m', 'm.id', 'r.recorded_by')
          .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .leftJoin('meeting as mt', 'mt.id', 'r.meeting_id')
          .select(['r.id', 'r.held_on', 'r.plan_version', 'r.child_view', 'r.family_view', 'r.summary', 'r.next_review_on', 'r.recorded_at', 'r.meeting_id', 'mt.title as meeting_title', 'p.given_name', 'p.family_name'])
          .where('r.partnership_id', '=', actor.partnershipId)
          .where('r.tac_id', '=', tacId)
          .orderBy('r.held_on')
          .orderBy('r.recorded_at')
          .execute()
        const ids = reviews.map((r) => r.id)
        const [scores, statuses, outcomes, actions, meetings] = await Promise.all([
          ids.length ? trx.selectFrom('review_score').selectAll().where('partnership_id', '=', actor.partnershipId).where('review_id', 'in', ids).execute() : Promise.resolve([]),
          ids.length ? trx.selectFrom('review_action').selectAll().where('partnership_id', '=', actor.partnershipId).where('review_id', 'in', ids).execute() : Promise.resolve([]),
          trx.selectFrom('plan_outcome').select(['id', 'body', 'removed_at', 'sort', 'created_at']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('sort').orderBy('created_at').orderBy('id').execute(),
          trx.selectFrom('plan_action').select(['id', 'what']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).execute(),
          trx.selectFrom('meeting').select(['id', 'title', 'scheduled_at', 'status']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('scheduled_at', 'desc').execute(),
        ])
        // every outcome scored at some review, or in the plan now, in the plan's order
        const scored = new Set(scores.map((s) => s.outcome_id))
        const current = new Set(view.outcomes.map((o) => o.id))
        const charted = outcomes.filter((o) => scored.has(o.id) || current.has(o.id))
        const actionName = new Map(actions.map((a) => [a.id, a.what]))
        const outcomeName = new Map(outcomes.map((o) => [o.id, o.body]))
        const progress: ProgressData = {
          title: `Progress of the plan for ${view.children.map((c) => c.given_name).join(' and ')}`,
          reviews: reviews.map((r) => ({ id: r.id, heldOn: r.held_on })),
          outcomes: charted.map((o) => ({ id: o.id, label: `${o.body}${o.removed_at ? ' (removed from the plan)' : ''}`, scores: reviews.map((r) => scores.find((s) => s.review_id === r.id && s.outcome_id === o.id)?.score ?? null) })),
          actions: reviews.map((r) => {
            const mine = statuses.filter((s) => s.review_id === r.id)
            return { done: mine.filter((s) => s.status === 'done').length, overdue: mine.filter((s) => s.status !== 'done' && s.status !== 'dropped' && s.overdue).length, open: mine.filter((s) => s.status !== 'done' && s.status !== 'dropped' && !s.overdue).length }
          }),
        }
        const dropped = reviews.map((r) => statuses.filter((s) => s.review_id === r.id && s.status === 'dropped').length)
        return {
          result: {
            ...view,
            reviews: reviews.map((r) => ({
              ...r,
              by: `${r.given_name} ${r.family_name}`,
              scores: scores.filter((s) => s.review_id === r.id).map((s) => ({ ...s, outcome: outcomeName.get(s.outcome_id) ?? '' })),
              actions: statuses.filter((s) => s.review_id === r.id).map((s) => ({ ...s, what: actionName.get(s.action_id) ?? '', statusLabel: STATUS_LABELS[s.status] })),
            })),
            progress,
            dropped,
            meetings,
          },
          audit: success(action, tac, { reviews: reviews.length }),
        }
      })
    },

    /**
     * A review: a score per current outcome, a status per current action (overdue when due before the review and
     * not done), the child's and the family's views, the next review date. Meets the review clock (late needs a
     * reason) and starts the next one; one 'review' chronology entry per child.
     */
    async recordReview(tacId: string, input: ReviewInput) {
      return auditedTransaction(ctx, actor, 'review.record', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('review.record', tacId)
        const today = londonDateTime(now).date
        if (input.heldOn > today) throw new FieldRefusedError('The review date cannot be in the future: record a review once it has been held', 'heldOn')
        // nor before the team began, or before the last review: a mistyped year would otherwise meet the review clock
        // "on time" and start the next one in the past
        const started = londonDateTime(tac.startedAt).date
        if (input.heldOn < started) throw new FieldRefusedError(`The review date cannot be before the team started on ${started}`, 'heldOn')
        const last = await latestReview(trx, tacId)
        if (last && input.heldOn < last.held_on) throw new FieldRefusedError(`The review date cannot be before the last review, held on ${last.held_on}`, 'heldOn')
        if (input.nextReviewOn && input.nextReviewOn <= input.heldOn) throw new FieldRefusedError('The next review must be after this review', 'nextReviewOn')
        if (input.nextReviewOn && input.nextReviewOn < today) throw new FieldRefusedError('The next review date cannot be in the past', 'nextReviewOn')
        if (input.meetingId) {
          const m = isUuid(input.meetingId) ? await trx.selectFrom('meeting').select('id').where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('id', '=', input.meetingId).executeTakeFirst() : undefined
          if (!m) throw new RefusedError('Choose a meeting of this team, or none')
        }
        const plan = await currentPlan(trx, actor.partnershipId, tacId)
        if (!plan.length) throw new RefusedError('Add at least one outcome to the plan before recording a review')
        const missing = plan.filter((o) => !input.scores.some((s) => s.outcomeId === o.id))
        if (missing.length) throw new RefusedError(`Give a score for every outcome: ${missing.map((o) => `'${o.body}'`).join(', ')}`)
        // statuses at the review: those the reviewer changed from what the form showed; else the action's status now
        // (never the form's stale copy of it); changed ones update the plan. A reviewer's change over another member's
        // change made since the form was opened is refused, naming it (the team row is locked: no change slips between)
        const allActions = plan.flatMap((o) => o.actions)
        const given = (a: PlanActionRow) => input.actions.find((x) => x.actionId === a.id)
        const conflict = allActions.find((a) => {
          const g = given(a)
          return g?.shown !== undefined && g.status !== g.shown && a.status !== g.shown && a.status !== g.status
        })
        if (conflict) throw new FieldRefusedError(`Someone changed the status of ‘${conflict.what}’ to ${STATUS_LABELS[conflict.status]} since you opened this form: check it, then record the review`, `status_${conflict.id}`)
        const statusOf = (a: PlanActionRow) => {
          const g = given(a)
          return !g || (g.shown !== undefined && g.status === g.shown) ? a.status : g.status
        }
        const changed = allActions.filter((a) => statusOf(a) !== a.status)
        for (const a of changed) {
          await trx.updateTable('plan_action').set({ status: statusOf(a), row_version: sql`row_version + 1` }).where('id', '=', a.id).execute()
        }
        if (changed.length) await planChanged(trx, actor, now, tac, `At the review on ${input.heldOn}: ${changed.map((a) => `action '${a.what}' status changed ${STATUS_LABELS[a.status]} → ${STATUS_LABELS[statusOf(a)]}`).join('; ')}`)
        // the review clock: met by this review (a late review needs the reason), the next one started
        await meetReviewClock(trx, tac, londonDateTime.toInstant(input.heldOn, '00:00'), input.lateReason)
        const id = randomUUID()
        await trx
          .insertInto('review')
          .values({ id, partnership_id: actor.partnershipId, tac_id: tacId, meeting_id: input.meetingId, held_on: input.heldOn, plan_version: tac.planVersion, child_view: input.childView, family_view: input.familyView, summary: input.summary, next_review_on: input.nextReviewOn, recorded_by: actor.membershipId, recorded_at: now })
          .execute()
        await trx.insertInto('review_score').values(plan.map((o) => {
          const s = input.scores.find((x) => x.outcomeId === o.id)!
          return { partnership_id: actor.partnershipId, review_id: id, outcome_id: o.id, score: s.score, note: s.note }
        })).execute()
        if (allActions.length) {
          await trx
            .insertInto('review_action')
            .values(allActions.map((a) => ({ partnership_id: actor.partnershipId, review_id: id, action_id: a.id, status: statusOf(a), overdue: isOverdue({ dueOn: a.dueOn, status: statusOf(a) }, input.heldOn), note: input.actions.find((x) => x.actionId === a.id)?.note ?? '' })))
            .execute()
        }
        await trx.updateTable('tac').set({ next_review_on: input.nextReviewOn }).where('id', '=', tacId).execute()
        await reviewClock(trx, tac, now, input.nextReviewOn)
        const overdue = allActions.filter((a) => isOverdue({ dueOn: a.dueOn, status: statusOf(a) }, input.heldOn)).length
        const done = allActions.filter((a) => statusOf(a) === 'done').length
        await writeTacEntries(trx, actor, now, tac.childIds, {
          type: 'review',
          summary: `Review of the joint plan held on ${input.heldOn}: ${plan.length} ${plan.length === 1 ? 'outcome' : 'outcomes'} scored; ${done} of ${allActions.length} actions done${overdue ? `, ${overdue} overdue` : ''}.${input.summary ? ` ${input.summary}` : ''}${input.nextReviewOn ? ` Next review ${input.nextReviewOn}.` : ''}`.slice(0, 1000),
          significance: overdue ? 'medium' : 'low',
          occurredAt: londonDateTime.toInstant(input.heldOn, '12:00'),
          detailType: 'review',
          detailId: id,
        })
        return { result: { id, planVersion: tac.planVersion }, audit: { action: 'review.record', outcome: 'success', entityType: 'review', entityId: id, childIds: tac.childIds, details: { tacId, planVersion: tac.planVersion, overdue, statusChanges: changed.length } } }
      })
    },
  }

  /**
   * Meets the team's running review clock (R21 only: the team's other clocks, e.g. an exploitation review, are
   * their capabilities' to meet). A review after the date set needs the reason.
   */
  async function meetReviewClock(trx: Transaction<DB>, tac: TacAccess, at: Date, reason: string | null) {
    const open = await trx.selectFrom('clock').select(['id', 'due_at']).where('partnership_id', '=', actor.partnershipId).where('subject_type', '=', 'tac').where('subject_id', '=', tac.id).where('rule', '=', 'R21').where('state', 'in', ['running', 'overdue']).execute()
    for (const c of open) {
      const late = at > c.due_at
      if (late && !reason) throw new RefusedError(`The review was due on ${londonDateTime(c.due_at).date}: record the reason it is late`)
      await trx.updateTable('clock').set({ state: late ? 'met_late' : 'met', met_at: at, reason: late ? reason : null }).where('id', '=', c.id).execute()
    }
  }

  /** Starts the review clock for a date (due 5pm London that day), or stops the running one when cleared. */
  async function reviewClock(trx: Transaction<DB>, tac: TacAccess, now: Date, date: string | null) {
    if (date) {
      await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R21', childId: tac.childIds[0] ?? null, subjectType: 'tac', subjectId: tac.id, startedAt: now, dueAt: reviewDueAt(date), escalateToMembershipId: tac.leadMembershipId })
    } else {
      await trx.updateTable('clock').set({ state: 'stopped', reason: 'The review date was cleared', met_at: now }).where('partnership_id', '=', actor.partnershipId).where('subject_type', '=', 'tac').where('subject_id', '=', tac.id).where('rule', '=', 'R21').where('state', 'in', ['running', 'overdue']).execute()
    }
  }
}

export type PlansRepository = ReturnType<typeof plansRepository>
export type { PlanOutcomeRow, PlanSnapshot }
export { snapshotOf }
