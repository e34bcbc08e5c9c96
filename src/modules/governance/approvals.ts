// Two-person approval (ASVS 2.3.5), generic: a high-risk action is asked for by one person with a reason and
// carried out only when a second, different person approves it. Sealing and unsealing an entry use it now; bulk
// exports, subject-access releases and retention deletions will (a new kind in APPROVAL_KINDS and the migration's
// named check constraint, with its own rule for who may decide and what approval does).
//
// In the caller's transaction (the caller's unit of work writes the audit row). The store enforces what is the same
// for every kind: one open request per kind and subject; decided once; a stale row version is a conflict; the decider
// is a different *practitioner* from the requester (not merely another membership of the same person) — checked here
// and again by the database (approval_request_two_people, with the practitioners taken from the memberships by a
// trigger); only the requester withdraws. Who may decide a kind, and what approval does, are the caller's rules.
import { randomUUID } from 'node:crypto'
import { sql, type Selectable, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { ApprovalKind, ApprovalRequestTable, DB } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'

export type Approval = Selectable<ApprovalRequestTable>

export const APPROVAL_KIND_LABELS: Record<ApprovalKind, string> = {
  seal_entry: 'Seal an entry',
  unseal_entry: 'Unseal an entry',
  sar_release: 'Release a subject access response',
  retention_delete: 'Delete records at the end of retention',
  bulk_export: 'Bulk export',
}

export interface NewApproval {
  kind: ApprovalKind
  /** What the request is about, e.g. 'entry' (with its id), later 'export' or 'subject_access'. */
  subjectType: string
  subjectIds: readonly string[]
  /** The children concerned (for the audit rows and the access log). */
  childIds?: readonly string[]
  /** What the kind needs to carry out the action once approved (no case narrative). */
  payload?: Record<string, unknown>
  reason: string
}

/** The open (undecided) request of a kind for a subject, if any. */
export async function openApproval(trx: Transaction<DB>, partnershipId: string, kind: ApprovalKind, subjectType: string, subjectIds: readonly string[]): Promise<Approval | undefined> {
  return trx
    .selectFrom('approval_request')
    .selectAll()
    .where('partnership_id', '=', partnershipId)
    .where('kind', '=', kind)
    .where('subject_type', '=', subjectType)
    .where('subject_ids', '=', sql<string[]>`${[...subjectIds]}::uuid[]`)
    .where('state', '=', 'requested')
    .executeTakeFirst()
}

/** Asks for an action that needs a second person. Refused when a request of the kind is already open for the subject. */
export async function requestApproval(trx: Transaction<DB>, actor: Actor, now: Date, input: NewApproval): Promise<Approval> {
  const reason = input.reason.trim()
  if (!reason) throw new RefusedError('Give the reason for asking')
  if (!input.subjectIds.length || !input.subjectIds.every(isUuid)) throw new RefusedError('Nothing to approve')
  const row = await trx
    .insertInto('approval_request')
    .values({
      id: randomUUID(),
      partnership_id: actor.partnershipId,
      kind: input.kind,
      subject_type: input.subjectType,
      subject_ids: [...input.subjectIds],
      child_ids: [...(input.childIds ?? [])],
      payload: JSON.stringify(input.payload ?? {}) as unknown as Record<string, unknown>,
      reason,
      requested_by: actor.membershipId,
      // the database sets the practitioners from the memberships (approval_request_guard); given here for the types
      requested_by_practitioner: actor.practitionerId,
      requested_at: now,
    })
    // the partial unique index approval_request_one_open: a concurrent second request makes no row
    .onConflict((oc) => oc.columns(['partnership_id', 'kind', 'subject_type', 'subject_ids']).where('state', '=', 'requested').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) throw new RefusedError('There is already a request waiting for a second person’s decision')
  return row
}

/** An approval request of the actor's partnership by id, locked for a decision when asked. */
export async function loadApproval(trx: Transaction<DB>, actor: Actor, id: string, forUpdate = false): Promise<Approval | undefined> {
  if (!isUuid(id)) return undefined
  let q = trx.selectFrom('approval_request').selectAll().where('partnership_id', '=', actor.partnershipId).where('id', '=', id)
  if (forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export type DecideOutcome =
  | { status: 'decided'; approval: Approval }
  /** Someone decided or withdrew it first, or it changed: the current row. */
  | { status: 'conflict'; current: Approval }
  /** Not allowed: the reason, in words (the caller audits it as refused). */
  | { status: 'refused'; approval: Approval; message: string }

/**
 * Approves or refuses an open request. `mayDecide` is the kind's rule for who may (the caller hides the request
 * from anyone else: check it before calling). Approval's consequences are the caller's, in the same transaction.
 */
export async function decide(
  trx: Transaction<DB>,
  actor: Actor,
  now: Date,
  approval: Approval,
  input: { decision: 'approve' | 'refuse'; reason: string; rowVersion: number },
): Promise<DecideOutcome> {
  if (approval.row_version !== input.rowVersion || approval.state !== 'requested') return { status: 'conflict', current: approval }
  if (!hasPermission(actor.role, 'approval:decide')) return { status: 'refused', approval, message: 'Your role cannot decide approvals' }
  if (approval.requested_by_practitioner === actor.practitionerId) {
    return { status: 'refused', approval, message: 'You asked for this yourself: a second person must decide it (whichever role you act in)' }
  }
  const reason = input.reason.trim()
  if (input.decision === 'refuse' && !reason) throw new RefusedError('Give the reason for refusing')
  const row = await trx
    .updateTable('approval_request')
    .set({
      state: input.decision === 'approve' ? 'approved' : 'refused',
      decided_by: actor.membershipId,
      decided_by_practitioner: actor.practitionerId,
      decided_at: now,
      decision_reason: reason || null,
      row_version: approval.row_version + 1,
    })
    .where('partnership_id', '=', actor.partnershipId)
    .where('id', '=', approval.id)
    .where('row_version', '=', input.rowVersion)
    .where('state', '=', 'requested')
    .returningAll()
    .executeTakeFirst()
  if (!row) return { status: 'conflict', current: approval }
  return { status: 'decided', approval: row }
}

/** The requester takes their request back (any of their memberships); nobody else can. */
export async function withdraw(trx: Transaction<DB>, actor: Actor, now: Date, approval: Approval, input: { rowVersion: number; reason?: string }): Promise<DecideOutcome> {
  if (approval.row_version !== input.rowVersion || approval.state !== 'requested') return { status: 'conflict', current: approval }
  if (approval.requested_by_practitioner !== actor.practitionerId) return { status: 'refused', approval, message: 'Only the person who asked can withdraw the request' }
  const row = await trx
    .updateTable('approval_request')
    .set({ state: 'withdrawn', decided_by: actor.membershipId, decided_by_practitioner: actor.practitionerId, decided_at: now, decision_reason: input.reason?.trim() || null, row_version: approval.row_version + 1 })
    .where('partnership_id', '=', actor.partnershipId)
    .where('id', '=', approval.id)
    .where('row_version', '=', input.rowVersion)
    .where('state', '=', 'requested')
    .returningAll()
    .executeTakeFirst()
  if (!row) return { status: 'conflict', current: approval }
  return { status: 'decided', approval: row }
}
