// Retention for information governance: the overview (past due, due in the next 12 months, on legal hold), a child's
// retention dates and holds, placing and lifting a legal hold, the retention years per record type, the job's dry-run
// reports, asking for one to be carried out and the second person's decision (a 'retention_delete' approval through
// src/modules/governance/approvals.ts). IG sees names, dates and counts — never the records' content. Every call is
// one audited transaction. Deciding is open to information governance and team managers (retention:decide); only
// information governance (retention:manage) sees the rest. The job itself is in job.ts (run as the system).
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { londonDateTime } from '../../web/dates.ts'
import { decide, loadApproval, requestApproval, withdraw, type Approval } from '../governance/approvals.ts'
import { childDates, countsOfStored, heldChildren, itemOf, outcomeOfStored, yearsOf, type TypeCounts } from './job.ts'
import { addYears, firstDate as first, isDue, RETENTION_SETTING_KEY, RETENTION_TYPES, type RetentionYears } from './rules.ts'
import { currentMembershipsQuery, membershipNames } from '../../data/memberships.ts'

/** Counts per record type, in the pages' order, the types with none left out. */
const byType = (counts: TypeCounts) => RETENTION_TYPES.filter((t) => counts[t.code]).map((t) => ({ code: t.code, label: t.label, n: counts[t.code]! }))

export type DecisionResult = { status: 'decided'; state: string } | { status: 'conflict' } | { status: 'refused'; message: string }

export function retentionRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId
  const manages = hasPermission(actor.role, 'retention:manage')
  const decides = hasPermission(actor.role, 'retention:decide')

  const names = (trx: Transaction<DB>, membershipIds: readonly (string | null)[]) => membershipNames(trx, P, membershipIds)

  /** A report the actor may see: IG any; a deciding manager one that waits for a decision or that they decided. */
  async function visibleReport(trx: Transaction<DB>, id: string, lock = false) {
    if (!isUuid(id) || (!manages && !decides)) return undefined
    let q = trx.selectFrom('retention_report').selectAll().where('partnership_id', '=', P).where('id', '=', id)
    if (lock) q = q.forUpdate()
    const report = await q.executeTakeFirst()
    if (!report) return undefined
    const approval = report.approval_id ? await loadApproval(trx, actor, report.approval_id, lock) : undefined
    if (!manages && !(approval && (approval.state === 'requested' || approval.decided_by_practitioner === actor.practitionerId))) return undefined
    return { report, approval }
  }

  async function reportView(trx: Transaction<DB>, report: NonNullable<Awaited<ReturnType<typeof visibleReport>>>['report'], approval: Approval | undefined) {
    const who = await names(trx, [approval?.requested_by ?? null, approval?.decided_by ?? null])
    const items = (report.items as unknown[]).map(itemOf)
    const ids = items.map((i) => i.childId)
    const children = ids.length ? await trx.selectFrom('child').select(['id', 'given_name', 'family_name']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', ids).execute() : []
    const nameOf = new Map(children.map((c) => [c.id, `${c.given_name} ${c.family_name}`]))
    const mine = approval?.requested_by_practitioner === actor.practitionerId
    return {
      id: report.id,
      state: report.state,
      createdAt: report.created_at,
      asOf: report.as_of,
      rowVersion: report.row_version,
      counts: { ...countsOfStored(report.counts), byType: byType(countsOfStored(report.counts).records) },
      items: items.map((i) => ({
        childId: i.childId,
        childName: nameOf.get(i.childId) ?? 'Removed',
        anchor: i.anchor,
        basis: i.basis,
        dates: i.dates,
        byType: byType(Object.fromEntries(Object.entries(i.records).map(([k, v]) => [k, v.length]))),
        identity: i.identity,
      })),
      executedAt: report.executed_at,
      outcome: ((o) => (o ? { ...o, byType: byType(o.records) } : null))(outcomeOfStored(report.outcome)),
      approval: approval
        ? {
            id: approval.id,
            state: approval.state,
            reason: approval.reason,
            requestedAt: approval.requested_at,
            requestedBy: who.get(approval.requested_by) ?? '',
            decidedAt: approval.decided_at,
            decidedBy: approval.decided_by ? (who.get(approval.decided_by) ?? '') : null,
            decisionReason: approval.decision_reason,
            rowVersion: approval.row_version,
            mine,
          }
        : null,
      manages,
      mayRequest: manages && report.state === 'dry_run',
      mayDecide: decides && report.state === 'awaiting_approval' && approval?.state === 'requested' && !mine,
      mayWithdraw: report.state === 'awaiting_approval' && approval?.state === 'requested' && mine,
    }
  }

  return {
    /** Past due, due in the next 12 months, on hold; the recent reports; the years per type. */
    async overview() {
      return auditedTransaction(ctx, actor, 'retention.overview', async (trx, now) => {
        if (!manages) return { result: null, audit: { action: 'retention.overview', outcome: 'refused' as const } }
        const today = londonDateTime(now).date
        const horizon = addYears(today, 1)
        const years = await yearsOf(trx, P)
        const all = await childDates(trx, P, years)
        const held = await heldChildren(trx, P)
        const done = new Set((await trx.selectFrom('retention_action').select('record_id').where('partnership_id', '=', P).where('record_type', '=', 'identity').execute()).map((r) => r.record_id))
        const open = all.filter((c) => !done.has(c.childId))
        const pastDue = open.filter((c) => !held.has(c.childId) && isDue(first(c.dates), today)).slice(0, 200)
        const upcoming = open.filter((c) => !held.has(c.childId) && !isDue(first(c.dates), today) && first(c.dates) <= horizon).sort((a, b) => first(a.dates).localeCompare(first(b.dates))).slice(0, 200)
        const holdRows = await trx
          .selectFrom('legal_hold as h')
          .innerJoin('child as c', 'c.id', 'h.child_id')
          .select(['h.id', 'h.child_id', 'h.reason', 'h.placed_at', 'h.placed_by', 'c.given_name', 'c.family_name'])
          .where('h.partnership_id', '=', P)
          .where('h.lifted_at', 'is', null)
          .orderBy('h.placed_at', 'desc')
          .limit(200)
          .execute()
        const who = await names(trx, holdRows.map((h) => h.placed_by))
        const reports = await trx.selectFrom('retention_report').select(['id', 'state', 'as_of', 'created_at', 'counts']).where('partnership_id', '=', P).orderBy('created_at', 'desc').limit(10).execute()
        const shown = [...pastDue, ...upcoming].map((c) => c.childId)
        return {
          result: {
            today,
            horizon,
            years,
            pastDue: pastDue.map((c) => ({ ...c, first: first(c.dates) })),
            upcoming: upcoming.map((c) => ({ ...c, first: first(c.dates) })),
            onHold: holdRows.map((h) => ({ childId: h.child_id, childName: `${h.given_name} ${h.family_name}`, reason: h.reason, placedAt: h.placed_at, by: who.get(h.placed_by) ?? '' })),
            reports: reports.map((r) => {
              const counts = countsOfStored(r.counts)
              return { id: r.id, state: r.state, asOf: r.as_of, createdAt: r.created_at, counts: { ...counts, total: Object.values(counts.records).reduce((n, x) => n + (x ?? 0), 0) } }
            }),
          },
          audit: { action: 'retention.overview', outcome: 'success' as const, childIds: [...new Set([...shown, ...holdRows.map((h) => h.child_id)])], details: { pastDue: pastDue.length, upcoming: upcoming.length, onHold: holdRows.length } },
        }
      })
    },

    /** A child's retention: anchor, dates per type, what was done, holds (current and past). Null: not found. */
    async child(childId: string) {
      return auditedTransaction(ctx, actor, 'retention.child.view', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'retention.child.view', outcome: 'not_found' as const, entityType: 'child', entityId: isUuid(childId) ? childId : null } }
        if (!manages || !isUuid(childId)) return notFound
        const [c] = await childDates(trx, P, await yearsOf(trx, P), [childId])
        if (!c) return notFound
        const today = londonDateTime(now).date
        const holds = await trx.selectFrom('legal_hold').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).orderBy('placed_at', 'desc').execute()
        const who = await names(trx, holds.flatMap((h) => [h.placed_by, h.lifted_by]))
        const actions = await trx
          .selectFrom('retention_action')
          .select(['record_type', 'acted_at', 'report_id'])
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('partnership_id', '=', P)
          .where('child_id', '=', childId)
          .groupBy(['record_type', 'acted_at', 'report_id'])
          .orderBy('acted_at')
          .execute()
        return {
          result: {
            ...c,
            today,
            types: RETENTION_TYPES.map((t) => ({ code: t.code, label: t.label, date: c.dates[t.code], reached: isDue(c.dates[t.code], today) })),
            hold: holds.find((h) => !h.lifted_at) ?? null,
            holds: holds.map((h) => ({ id: h.id, reason: h.reason, placedAt: h.placed_at, placedBy: who.get(h.placed_by) ?? '', liftedAt: h.lifted_at, liftedBy: h.lifted_by ? (who.get(h.lifted_by) ?? '') : null, liftReason: h.lift_reason })),
            actions: actions.map((a) => ({ type: a.record_type, at: a.acted_at, reportId: a.report_id, n: Number(a.n) })),
          },
          audit: { action: 'retention.child.view', outcome: 'success' as const, entityType: 'child', entityId: childId, childIds: [childId] },
        }
      })
    },

    /** Places a legal hold (reason required); refused when one is on already. Null: not found. */
    async placeHold(childId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'retention.hold.place', async (trx, now) => {
        if (!manages || !isUuid(childId)) return { result: null, audit: { action: 'retention.hold.place', outcome: 'not_found' as const } }
        const c = await trx.selectFrom('child').select('id').where('partnership_id', '=', P).where('id', '=', childId).forUpdate().executeTakeFirst()
        if (!c) return { result: null, audit: { action: 'retention.hold.place', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!reason.trim()) throw new RefusedError('Give the reason for the legal hold')
        const on = await trx.selectFrom('legal_hold').select('id').where('partnership_id', '=', P).where('child_id', '=', childId).where('lifted_at', 'is', null).executeTakeFirst()
        if (on) throw new RefusedError('There is a legal hold on this child already')
        const id = randomUUID()
        await trx.insertInto('legal_hold').values({ id, partnership_id: P, child_id: childId, reason: reason.trim(), placed_by: actor.membershipId, placed_at: now, lifted_by: null, lifted_at: null, lift_reason: null }).execute()
        return { result: { id }, audit: { action: 'retention.hold.place', outcome: 'success' as const, entityType: 'legal_hold', entityId: id, childIds: [childId] } }
      })
    },

    /** Lifts the child's legal hold (reason required). Null: not found. */
    async liftHold(childId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'retention.hold.lift', async (trx, now) => {
        if (!manages || !isUuid(childId)) return { result: null, audit: { action: 'retention.hold.lift', outcome: 'not_found' as const } }
        const c = await trx.selectFrom('child').select('id').where('partnership_id', '=', P).where('id', '=', childId).executeTakeFirst()
        if (!c) return { result: null, audit: { action: 'retention.hold.lift', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!reason.trim()) throw new RefusedError('Give the reason for lifting the legal hold')
        const on = await trx.selectFrom('legal_hold').select('id').where('partnership_id', '=', P).where('child_id', '=', childId).where('lifted_at', 'is', null).forUpdate().executeTakeFirst()
        if (!on) throw new RefusedError('There is no legal hold on this child')
        await trx.updateTable('legal_hold').set({ lifted_by: actor.membershipId, lifted_at: now, lift_reason: reason.trim() }).where('id', '=', on.id).execute()
        return { result: { id: on.id }, audit: { action: 'retention.hold.lift', outcome: 'success' as const, entityType: 'legal_hold', entityId: on.id, childIds: [childId] } }
      })
    },

    /** The retention years per record type (the partnership setting `retention.years`). */
    async saveYears(years: RetentionYears) {
      return auditedTransaction(ctx, actor, 'retention.settings', async (trx, now) => {
        if (!manages) return { result: null, audit: { action: 'retention.settings', outcome: 'refused' as const } }
        const before = await yearsOf(trx, P)
        await trx
          .insertInto('partnership_setting')
          .values({ partnership_id: P, key: RETENTION_SETTING_KEY, value: JSON.stringify(years), updated_at: now, updated_by: actor.membershipId })
          .onConflict((oc) => oc.columns(['partnership_id', 'key']).doUpdateSet({ value: JSON.stringify(years), updated_at: now, updated_by: actor.membershipId }))
          .execute()
        return { result: years, audit: { action: 'retention.settings', outcome: 'success' as const, details: { before, after: years } } }
      })
    },

    /** A report as the actor may see it; null: not found (or not theirs to see). */
    async report(id: string) {
      return auditedTransaction(ctx, actor, 'retention.report.view', async (trx) => {
        const found = await visibleReport(trx, id)
        if (!found) return { result: null, audit: { action: 'retention.report.view', outcome: 'not_found' as const, entityType: 'retention_report', entityId: isUuid(id) ? id : null } }
        const view = await reportView(trx, found.report, found.approval)
        return { result: view, audit: { action: 'retention.report.view', outcome: 'success' as const, entityType: 'retention_report', entityId: id, childIds: view.items.map((i) => i.childId) } }
      })
    },

    /** Asks for a dry-run report to be carried out: a two-person 'retention_delete' approval. Null: not found. */
    async requestExecution(id: string, reason: string) {
      return auditedTransaction(ctx, actor, 'retention.request', async (trx, now) => {
        const found = manages ? await visibleReport(trx, id, true) : undefined
        if (!found) return { result: null, audit: { action: 'retention.request', outcome: 'not_found' as const, entityType: 'retention_report', entityId: isUuid(id) ? id : null } }
        const r = found.report
        if (r.state !== 'dry_run') throw new RefusedError('This report can no longer be carried out: the job makes a new one each day')
        const items = (r.items as unknown[]).map(itemOf)
        const approval = await requestApproval(trx, actor, now, { kind: 'retention_delete', subjectType: 'retention_report', subjectIds: [r.id], childIds: items.map((i) => i.childId), payload: { counts: r.counts, asOf: r.as_of }, reason })
        await trx.updateTable('retention_report').set({ state: 'awaiting_approval', approval_id: approval.id, row_version: r.row_version + 1 }).where('id', '=', r.id).execute()
        // the other information governance officers and the team managers may decide — only those in post now: a
        // disabled account or a membership not yet started must not be asked to approve a deletion
        const deciders = await currentMembershipsQuery(trx, P, now).select('m.id').where('m.role', 'in', ['ig_officer', 'team_manager']).where('m.practitioner_id', '<>', actor.practitionerId).execute()
        await notifyMemberships(trx, P, deciders.map((d) => d.id), { kind: 'approval.requested', childId: null, subjectType: 'retention_report', subjectId: r.id, link: `/retention/reports/${r.id}` }, now)
        return { result: { approvalId: approval.id }, audit: { action: 'retention.request', outcome: 'success' as const, entityType: 'retention_report', entityId: r.id, childIds: items.map((i) => i.childId), details: { approval: approval.id, counts: r.counts } } }
      })
    },

    /** The second person approves or refuses; the job carries out an approved report. Null: not found. */
    async decide(id: string, input: { decision: 'approve' | 'refuse'; reason: string; rowVersion: number }) {
      const action = input.decision === 'approve' ? 'retention.approve' : 'retention.refuse'
      return auditedTransaction<DecisionResult | null>(ctx, actor, action, async (trx, now) => {
        const found = decides ? await visibleReport(trx, id, true) : undefined
        if (!found || !found.approval) return { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'retention_report', entityId: isUuid(id) ? id : null } }
        const { report, approval } = found
        const base = { action, entityType: 'retention_report', entityId: report.id, childIds: approval.child_ids }
        const outcome = await decide(trx, actor, now, approval, input)
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true, state: approval.state } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        if (outcome.approval.state === 'refused') await trx.updateTable('retention_report').set({ state: 'closed', row_version: report.row_version + 1 }).where('id', '=', report.id).execute()
        await notifyMemberships(trx, P, [approval.requested_by], { kind: 'approval.decided', childId: null, subjectType: 'retention_report', subjectId: report.id, link: `/retention/reports/${report.id}` }, now)
        return { result: { status: 'decided' as const, state: outcome.approval.state }, audit: { ...base, outcome: 'success' as const, details: { approval: approval.id, state: outcome.approval.state } } }
      })
    },

    /** The requester takes the request back; the report is closed (the job makes a new one the next day). */
    async withdraw(id: string, rowVersion: number) {
      return auditedTransaction<DecisionResult | null>(ctx, actor, 'retention.withdraw', async (trx, now) => {
        const found = manages ? await visibleReport(trx, id, true) : undefined
        if (!found || !found.approval) return { result: null, audit: { action: 'retention.withdraw', outcome: 'not_found' as const, entityType: 'retention_report', entityId: isUuid(id) ? id : null } }
        const { report, approval } = found
        const base = { action: 'retention.withdraw', entityType: 'retention_report', entityId: report.id, childIds: approval.child_ids }
        const outcome = await withdraw(trx, actor, now, approval, { rowVersion })
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        await trx.updateTable('retention_report').set({ state: 'closed', row_version: report.row_version + 1 }).where('id', '=', report.id).execute()
        return { result: { status: 'decided' as const, state: 'withdrawn' }, audit: { ...base, outcome: 'success' as const, details: { approval: approval.id } } }
      })
    },
  }
}

export type RetentionRepository = ReturnType<typeof retentionRepository>
