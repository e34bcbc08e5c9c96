// Where a risk signal goes: to whom it is routed on its child (when it fires, and when a merge or an unmerge brings
// it to another child), and which child it belongs to when the entries it names move (ADR 0008).
import { sql, type Transaction } from 'kysely'
import type { DB } from '../../data/schema.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { grantFrontDoorContact } from '../../data/relationships.ts'

type Trx = Transaction<DB>

/**
 * Routes a signal on a child: to the lead practitioner of the child's open team around the child (issue 4: "the lead
 * practitioner or the front door"); failing them, the allocated workers; failing them, the front door's members, who
 * then hold a reason to see the child while the signal is open. Only those in post count (notifyMemberships tells
 * only them: a leaver's or a disabled account's inbox is read by nobody). Those in `toldAlready` are not told again.
 * Returns everyone the signal reaches on this child: those told now, and those in post who had been told before.
 */
export async function routeSignal(trx: Trx, partnershipId: string, childId: string, signal: { id: string; ruleName: string; toldAlready?: readonly string[] }, now: Date): Promise<string[]> {
  const notice = { kind: 'signal.fired', childId, subjectType: 'risk_signal', subjectId: signal.id, link: `/signals/${signal.id}` }
  const told = new Set(signal.toldAlready ?? [])
  const reach = async (ids: readonly string[]): Promise<string[]> => {
    const unique = [...new Set(ids)]
    const known = unique.filter((m) => told.has(m))
    const stillInPost = known.length ? (await currentMembershipsQuery(trx, partnershipId, now).where('m.id', 'in', known).select('m.id').execute()).map((m) => m.id) : []
    return [...stillInPost, ...(await notifyMemberships(trx, partnershipId, unique.filter((m) => !told.has(m)), notice, now))]
  }
  const leads = await trx.selectFrom('tac_child as tc').innerJoin('tac as t', (j) => j.onRef('t.id', '=', 'tc.tac_id').onRef('t.partnership_id', '=', 'tc.partnership_id'))
    .select('t.lead_membership_id').where('tc.partnership_id', '=', partnershipId).where('tc.child_id', '=', childId).where('t.status', '=', 'open').execute()
  let to = await reach(leads.map((l) => l.lead_membership_id))
  if (!to.length) {
    const allocated = await trx.selectFrom('relationship').select('holder_membership_id').where('partnership_id', '=', partnershipId).where('child_id', '=', childId).where('type', '=', 'allocated_worker').where('starts_at', '<=', now).where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)])).execute()
    to = await reach(allocated.flatMap((a) => (a.holder_membership_id ? [a.holder_membership_id] : [])))
  }
  if (!to.length) {
    const team = await trx.selectFrom('team').select('id').where('partnership_id', '=', partnershipId).where('is_front_door', '=', true).executeTakeFirst()
    if (team) {
      const members = await trx.selectFrom('membership').select('id').where('partnership_id', '=', partnershipId).where('team_id', '=', team.id).execute()
      to = await reach(members.map((m) => m.id))
      // the front door needs a reason to see the child while the signal is open (one per signal: a signal that moved
      // brought its own with it)
      await grantFrontDoorContact(trx, { partnershipId, childId, teamId: team.id, source: signalSource(signal.id), reason: `Risk signal: ${signal.ruleName}`, createdBy: null, now, unlessHeld: true })
    }
  }
  return to
}

/** The source of the front door's relationship with a signal's child. */
export const signalSource = (signalId: string) => `signal ${signalId}`

/** A signal that followed its entries to another child, and whom it reached there that it had not reached before. */
export interface MovedSignal {
  id: string
  /** its own entry in the chronology (type `signal`), moved with it */
  entryIds: string[]
  told: string[]
}

/**
 * After a merge or an unmerge moved entries from one child to another: each signal on the first child whose named
 * entries are now all on the other — at least one of them moved just now — follows them, with its entry in the
 * chronology and the front door's relationship it made. A signal whose entries are split between children stays on
 * the child it was raised on (or last followed its entries to). Its response, acknowledgement and rule version are
 * kept; an unacknowledged one is routed on its new child as a signal is when it fires (its lead practitioner, else its
 * allocated workers, else the front door), telling only those it had not been routed to before. `routed_to` only
 * grows: it records everyone told.
 */
export async function signalsFollowEntries(trx: Trx, partnershipId: string, fromChildId: string, toChildId: string, movedEntryIds: readonly string[], now: Date): Promise<MovedSignal[]> {
  if (!movedEntryIds.length || fromChildId === toChildId) return []
  const follow = await trx
    .selectFrom('risk_signal as s')
    .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
    .select(['s.id', 's.routed_to', 's.acknowledged_at', 'r.name as rule_name'])
    .where('s.partnership_id', '=', partnershipId)
    .where('s.child_id', '=', fromChildId)
    .where(sql<boolean>`s.entry_ids && ${[...movedEntryIds]}::uuid[]`)
    // every entry it names is on the other child now
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('entry as e').select('e.id').where('e.partnership_id', '=', partnershipId).where(sql<boolean>`e.id = any(s.entry_ids)`).where('e.child_id', '<>', toChildId))))
    // one signal per rule and entries on a child: a copy fired on the other child meanwhile (before signals followed
    // their entries) keeps this one where it is
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('risk_signal as o').select('o.id').where('o.partnership_id', '=', partnershipId).where('o.child_id', '=', toChildId).whereRef('o.rule_code', '=', 's.rule_code').whereRef('o.fingerprint', '=', 's.fingerprint'))))
    .orderBy('s.fired_at')
    .orderBy('s.id')
    .forUpdate('s')
    .execute()
  const out: MovedSignal[] = []
  for (const s of follow) {
    await trx.updateTable('risk_signal').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('id', '=', s.id).execute()
    // the entry trigger admits this one move: a signal's entry goes to the child its signal is on
    const entries = await trx.updateTable('entry').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('child_id', '=', fromChildId).where('detail_type', '=', 'risk_signal').where('detail_id', '=', s.id).returning('id').execute()
    await trx.updateTable('relationship').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('type', '=', 'front_door_contact').where('source', '=', signalSource(s.id)).where('child_id', '=', fromChildId).execute()
    const told = await routeMoved(trx, partnershipId, toChildId, s, now)
    out.push({ id: s.id, entryIds: entries.map((e) => e.id), told })
  }
  return out
}

/**
 * A signal that has moved to another child, routed there if still unacknowledged: those it reaches that it had not
 * told before are told and added to its `routed_to`; returns them.
 */
async function routeMoved(trx: Trx, partnershipId: string, childId: string, s: { id: string; rule_name: string; routed_to: string[]; acknowledged_at: Date | null }, now: Date): Promise<string[]> {
  if (s.acknowledged_at) return []
  const reached = await routeSignal(trx, partnershipId, childId, { id: s.id, ruleName: s.rule_name, toldAlready: s.routed_to }, now)
  const told = reached.filter((m) => !s.routed_to.includes(m))
  if (told.length) await trx.updateTable('risk_signal').set({ routed_to: [...s.routed_to, ...told] }).where('partnership_id', '=', partnershipId).where('id', '=', s.id).execute()
  return told
}

/** A signal that migration 20261130T2120 moved to the child its entries are on, as the evaluation routed it. */
export interface FollowedSignal extends MovedSignal {
  fromChildId: string
  toChildId: string
}

/**
 * The signals that merges made before signals followed their entries had left behind, moved by migration
 * 20261130T2120 to the child their entries are on (signal_follow_pending): a migration cannot run routeSignal, so the
 * next evaluation does, as signalsFollowEntries does for a signal a merge moves — an unacknowledged one is routed on
 * the child it is on now, telling only those it had not reached, and `routed_to` grows by them — and clears the list.
 * The caller holds the children's rows (lockChildren), taken before the signals' as a merge takes them.
 */
export async function routeFollowedSignals(trx: Trx, partnershipId: string, now: Date): Promise<FollowedSignal[]> {
  const pending = await trx
    .selectFrom('signal_follow_pending as p')
    .innerJoin('risk_signal as s', (j) => j.onRef('s.partnership_id', '=', 'p.partnership_id').onRef('s.id', '=', 'p.signal_id'))
    .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
    .select(['s.id', 's.child_id', 's.routed_to', 's.acknowledged_at', 'r.name as rule_name', 'p.from_child_id', 'p.to_child_id'])
    .where('p.partnership_id', '=', partnershipId)
    .orderBy('s.fired_at')
    .orderBy('s.id')
    .forUpdate('s')
    .execute()
  const out: FollowedSignal[] = []
  for (const s of pending) {
    const told = await routeMoved(trx, partnershipId, s.child_id, s, now)
    const entries = await trx.selectFrom('entry').select('id').where('partnership_id', '=', partnershipId).where('detail_type', '=', 'risk_signal').where('detail_id', '=', s.id).execute()
    out.push({ id: s.id, entryIds: entries.map((e) => e.id), told, fromChildId: s.from_child_id, toChildId: s.to_child_id })
  }
  if (pending.length) await trx.deleteFrom('signal_follow_pending').where('partnership_id', '=', partnershipId).where('signal_id', 'in', pending.map((s) => s.id)).execute()
  return out
}
