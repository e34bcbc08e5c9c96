// The joint agency plan's writes that other capabilities share (meetings add the actions they agree): every change
// inserts or updates the rows, records a new plan version (a snapshot of the whole current plan with a change
// summary) and writes a 'plan_change' chronology entry per child. Runs in the caller's audited transaction; the
// caller has the team for change (`tacForChange`, which locks the team row, so plan versions never race).
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import type { ActionStatus, DB } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { writeTacEntries, type TacAccess } from '../tac/access.ts'

export interface PlanActionRow {
  id: string
  outcomeId: string
  what: string
  ownerMembershipId: string | null
  ownerName: string
  ownerAgency: string
  dueOn: string
  place: string
  costPence: number | null
  status: ActionStatus
  meetingId: string | null
  rowVersion: number
}

export interface PlanOutcomeRow {
  id: string
  childId: string | null
  body: string
  measure: 'scale' | 'named'
  measureName: string | null
  sort: number
  rowVersion: number
  actions: PlanActionRow[]
}

/** What a plan version stores: the current outcomes with their actions (row versions left out). */
export interface PlanSnapshot {
  /** The review date set when the version was recorded (absent in versions recorded before it was kept). */
  nextReviewOn?: string | null
  outcomes: Array<Omit<PlanOutcomeRow, 'rowVersion' | 'actions'> & { actions: Array<Omit<PlanActionRow, 'rowVersion'>> }>
}

export interface NewPlanAction {
  outcomeId: string
  what: string
  ownerMembershipId: string | null
  ownerName: string
  ownerAgency: string
  dueOn: string
  place: string
  costPence: number | null
  meetingId?: string | null
}

/** The current plan of a team: its outcomes (not removed, in order) with their actions (not removed, by due date). */
export async function currentPlan(trx: Transaction<DB>, partnershipId: string, tacId: string): Promise<PlanOutcomeRow[]> {
  const outcomes = await trx
    .selectFrom('plan_outcome')
    .select(['id', 'child_id', 'body', 'measure', 'measure_name', 'sort', 'row_version', 'created_at'])
    .where('partnership_id', '=', partnershipId)
    .where('tac_id', '=', tacId)
    .where('removed_at', 'is', null)
    .orderBy('sort')
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const actions = await trx
    .selectFrom('plan_action')
    .select(['id', 'outcome_id', 'what', 'owner_membership_id', 'owner_name', 'owner_agency', 'due_on', 'place', 'cost_pence', 'status', 'meeting_id', 'row_version'])
    .where('partnership_id', '=', partnershipId)
    .where('tac_id', '=', tacId)
    .where('removed_at', 'is', null)
    .orderBy('due_on')
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return outcomes.map((o) => ({
    id: o.id,
    childId: o.child_id,
    body: o.body,
    measure: o.measure,
    measureName: o.measure_name,
    sort: o.sort,
    rowVersion: o.row_version,
    actions: actions
      .filter((a) => a.outcome_id === o.id)
      .map((a) => ({
        id: a.id,
        outcomeId: a.outcome_id,
        what: a.what,
        ownerMembershipId: a.owner_membership_id,
        ownerName: a.owner_name,
        ownerAgency: a.owner_agency,
        dueOn: a.due_on,
        place: a.place,
        costPence: a.cost_pence,
        status: a.status,
        meetingId: a.meeting_id,
        rowVersion: a.row_version,
      })),
  }))
}

export function snapshotOf(plan: PlanOutcomeRow[], nextReviewOn: string | null = null): PlanSnapshot {
  return {
    nextReviewOn,
    outcomes: plan.map(({ rowVersion: _o, actions, ...o }) => ({ ...o, actions: actions.map(({ rowVersion: _a, ...a }) => a) })),
  }
}

/**
 * Records the current plan as the next version (tac.plan_version + 1) with a change summary, and bumps
 * tac.plan_version (and `tac.planVersion` on the object passed). Returns the new version number.
 */
export async function recordPlanVersion(trx: Transaction<DB>, actor: Actor, now: Date, tac: TacAccess, changeSummary: string): Promise<number> {
  const latest = await trx.selectFrom('tac').select(['plan_version', 'next_review_on']).where('id', '=', tac.id).where('partnership_id', '=', actor.partnershipId).executeTakeFirstOrThrow()
  const version = latest.plan_version + 1
  const plan = await currentPlan(trx, actor.partnershipId, tac.id)
  await trx
    .insertInto('plan_version')
    .values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: tac.id, version, snapshot: JSON.stringify(snapshotOf(plan, latest.next_review_on)), change_summary: changeSummary.slice(0, 2000), changed_by: actor.membershipId, changed_at: now })
    .execute()
  await trx.updateTable('tac').set({ plan_version: version }).where('id', '=', tac.id).where('partnership_id', '=', actor.partnershipId).execute()
  tac.planVersion = version
  return version
}

/** A plan change: a new version and one 'plan_change' chronology entry per child of the team. */
export async function planChanged(trx: Transaction<DB>, actor: Actor, now: Date, tac: TacAccess, changeSummary: string): Promise<number> {
  const version = await recordPlanVersion(trx, actor, now, tac, changeSummary)
  await writeTacEntries(trx, actor, now, tac.childIds, {
    type: 'plan_change',
    summary: `Joint plan version ${version}: ${changeSummary}`.slice(0, 500),
    significance: 'low',
    occurredAt: now,
    detailType: 'tac',
    detailId: tac.id,
  })
  return version
}

/**
 * Adds an action to an outcome of the team's plan (the outcome must be the team's and current), records a plan
 * version and the chronology entry. Returns the new action's id.
 */
export async function addPlanAction(trx: Transaction<DB>, actor: Actor, now: Date, tac: TacAccess, input: NewPlanAction): Promise<string> {
  const outcome = await trx
    .selectFrom('plan_outcome')
    .select(['id', 'body'])
    .where('id', '=', input.outcomeId)
    .where('partnership_id', '=', actor.partnershipId)
    .where('tac_id', '=', tac.id)
    .where('removed_at', 'is', null)
    .executeTakeFirst()
  if (!outcome) throw new RefusedError('Choose an outcome of this plan for the action')
  const id = randomUUID()
  await trx
    .insertInto('plan_action')
    .values({
      id,
      partnership_id: actor.partnershipId,
      tac_id: tac.id,
      outcome_id: outcome.id,
      what: input.what,
      owner_membership_id: input.ownerMembershipId,
      owner_name: input.ownerName,
      owner_agency: input.ownerAgency,
      due_on: input.dueOn,
      place: input.place,
      cost_pence: input.costPence,
      meeting_id: input.meetingId ?? null,
      created_at: now,
    })
    .execute()
  await planChanged(trx, actor, now, tac, `Action '${input.what}' added (${input.ownerName}, due ${input.dueOn})${input.meetingId ? ' at a meeting' : ''}`)
  return id
}

// ---- comparing versions (pure) ----

export const STATUS_LABELS: Record<ActionStatus, string> = { not_started: 'Not started', in_progress: 'In progress', done: 'Done', dropped: 'Dropped' }

/** Pence as pounds: 123450 → '£1,234.50'; null → ''. */
export function formatPence(pence: number | null | undefined): string {
  if (pence === null || pence === undefined) return ''
  return `£${(pence / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
}

type SnapOutcome = PlanSnapshot['outcomes'][number]
type SnapAction = SnapOutcome['actions'][number]

export interface FieldChange {
  field: string
  label: string
  before: string
  after: string
}

export interface ChangedItem {
  id: string
  name: string
  changes: FieldChange[]
}

export interface PlanDiff {
  outcomes: { added: SnapOutcome[]; removed: SnapOutcome[]; changed: ChangedItem[] }
  actions: { added: Array<SnapAction & { outcome: string }>; removed: Array<SnapAction & { outcome: string }>; changed: ChangedItem[] }
  /** The review date, when it changed. */
  reviewDate: FieldChange | null
  empty: boolean
}

export function measureText(o: { measure: 'scale' | 'named'; measureName: string | null }): string {
  return o.measure === 'named' ? `Named measure: ${o.measureName ?? ''}` : 'Scale of 0 to 10'
}

/** The field-by-field changes of an outcome (child names from `childName`). */
export function outcomeChanges(before: Omit<SnapOutcome, 'actions'>, after: Omit<SnapOutcome, 'actions'>, childName: (id: string | null) => string = (id) => id ?? 'All children'): FieldChange[] {
  const out: FieldChange[] = []
  const add = (field: string, label: string, b: string, a: string) => {
    if (b !== a) out.push({ field, label, before: b, after: a })
  }
  add('body', 'What will be different', before.body, after.body)
  add('childId', 'For', childName(before.childId), childName(after.childId))
  add('measure', 'How progress is measured', measureText(before), measureText(after))
  return out
}

/** The field-by-field changes of an action (outcome names from `outcomeName`). */
export function actionChanges(before: Omit<SnapAction, 'id'>, after: Omit<SnapAction, 'id'>, outcomeName: (id: string) => string = (id) => id): FieldChange[] {
  const out: FieldChange[] = []
  const add = (field: string, label: string, b: string, a: string) => {
    if (b !== a) out.push({ field, label, before: b, after: a })
  }
  add('what', 'What', before.what, after.what)
  add('owner', 'Who', `${before.ownerName}${before.ownerAgency ? ` (${before.ownerAgency})` : ''}`, `${after.ownerName}${after.ownerAgency ? ` (${after.ownerAgency})` : ''}`)
  add('dueOn', 'Due date', before.dueOn, after.dueOn)
  add('place', 'Where', before.place, after.place)
  add('costPence', 'Cost', formatPence(before.costPence) || 'none', formatPence(after.costPence) || 'none')
  add('status', 'Status', STATUS_LABELS[before.status], STATUS_LABELS[after.status])
  add('outcomeId', 'Outcome', outcomeName(before.outcomeId), outcomeName(after.outcomeId))
  return out
}

/** A one-line summary of changes: "due date changed 2026-12-01 → 2026-12-15; cost changed none → £10.00". */
export function changeText(changes: readonly FieldChange[]): string {
  return changes.map((c) => `${c.label.toLowerCase()} changed ${c.before || '(blank)'} → ${c.after || '(blank)'}`).join('; ')
}

/** What changed between two plan versions: outcomes and actions added, removed, and changed field by field. */
export function diffSnapshots(from: PlanSnapshot, to: PlanSnapshot, childName?: (id: string | null) => string): PlanDiff {
  const fromO = new Map(from.outcomes.map((o) => [o.id, o]))
  const toO = new Map(to.outcomes.map((o) => [o.id, o]))
  const names = new Map([...from.outcomes, ...to.outcomes].map((o) => [o.id, o.body]))
  const outcomeName = (id: string) => names.get(id) ?? 'an outcome no longer in the plan'
  const fromA = new Map(from.outcomes.flatMap((o) => o.actions.map((a) => [a.id, { ...a, outcome: o.body }] as const)))
  const toA = new Map(to.outcomes.flatMap((o) => o.actions.map((a) => [a.id, { ...a, outcome: o.body }] as const)))
  const diff: PlanDiff = {
    outcomes: {
      added: to.outcomes.filter((o) => !fromO.has(o.id)),
      removed: from.outcomes.filter((o) => !toO.has(o.id)),
      changed: to.outcomes.flatMap((o) => {
        const before = fromO.get(o.id)
        if (!before) return []
        const changes = outcomeChanges(before, o, childName)
        return changes.length ? [{ id: o.id, name: o.body, changes }] : []
      }),
    },
    actions: {
      added: [...toA.values()].filter((a) => !fromA.has(a.id)),
      removed: [...fromA.values()].filter((a) => !toA.has(a.id)),
      changed: [...toA.values()].flatMap((a) => {
        const before = fromA.get(a.id)
        if (!before) return []
        const changes = actionChanges(before, a, outcomeName)
        return changes.length ? [{ id: a.id, name: a.what, changes }] : []
      }),
    },
    reviewDate: (from.nextReviewOn ?? null) !== (to.nextReviewOn ?? null) ? { field: 'nextReviewOn', label: 'Review date', before: from.nextReviewOn ?? 'not set', after: to.nextReviewOn ?? 'not set' } : null,
    empty: false,
  }
  diff.empty = !diff.reviewDate && !diff.outcomes.added.length && !diff.outcomes.removed.length && !diff.outcomes.changed.length && !diff.actions.added.length && !diff.actions.removed.length && !diff.actions.changed.length
  return diff
}

export const EMPTY_SNAPSHOT: PlanSnapshot = { outcomes: [] }
