// Missing episodes: police record a child missing and found; a return home interview is offered within 72 hours
// by an independent person (R13) and what the child said is recorded; repeat episodes (R14: 3+ in 30 days,
// configurable) prompt a strategy meeting.
import { randomUUID } from 'node:crypto'
import type { Selectable, Transaction } from 'kysely'
import { childInReach, entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import type { DB, MissingEpisodeTable, Significance } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid, lockChildren } from '../../data/repositories/children.ts'
import { formatDateTime } from '../../platform/http/render.ts'

export const REPEAT_MISSING = { episodes: 3, days: 30 } // R14 default (local)

export function missingRepository(ctx: Ctx, actor: Actor, clocks: ClockPort, repeat = REPEAT_MISSING) {
  async function entry(trx: Transaction<DB>, now: Date, childId: string, detailId: string, e: { type: string; summary: string; significance: Significance; occurredAt: Date }) {
    await trx
      .insertInto('entry')
      .values({ id: randomUUID(), partnership_id: actor.partnershipId, child_id: childId, type: e.type, category: 'missing', occurred_at: e.occurredAt, recorded_at: now, author_membership_id: actor.membershipId, author_team_id: actor.teamId, source_agency_id: actor.agencyId, significance: e.significance, summary: e.summary, detail_type: 'missing_episode', detail_id: detailId, visibility: 'team', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null })
      .execute()
  }
  /** Who should act on a missing child: the allocated workers, then the team around the child — those in post. */
  async function involved(trx: Transaction<DB>, childId: string, now: Date) {
    const rows = await currentMembershipsQuery(trx, actor.partnershipId, now)
      .innerJoin('relationship as r', (j) => j.onRef('r.holder_membership_id', '=', 'm.id').on('r.partnership_id', '=', actor.partnershipId))
      .select(['m.id', 'r.type'])
      .where('r.child_id', '=', childId)
      .where('r.type', 'in', ['allocated_worker', 'team_member'])
      .where('r.starts_at', '<=', now)
      .where((eb) => eb.or([eb('r.ends_at', 'is', null), eb('r.ends_at', '>', now)]))
      .execute()
    // the allocated worker first: the first is the one a late return home interview is escalated to
    const first = rows.filter((r) => r.type === 'allocated_worker').concat(rows.filter((r) => r.type !== 'allocated_worker'))
    return [...new Set(first.map((r) => r.id))]
  }
  async function inReach(trx: Transaction<DB>, childId: string, now: Date) {
    if (!isUuid(childId)) return false
    return Boolean(await trx.selectFrom('child as c').select('c.id').where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId).where(childInReach(actor, now)).executeTakeFirst())
  }
  /** The episode, locked, if it is this child's (the child named in the address) and the child is in reach. */
  async function episodeInReach(trx: Transaction<DB>, childId: string, id: string, now: Date) {
    if (!isUuid(id) || !isUuid(childId)) return undefined
    return trx.selectFrom('missing_episode as m').innerJoin('child as c', 'c.id', 'm.child_id').selectAll('m').where('m.partnership_id', '=', actor.partnershipId).where('m.id', '=', id).where('m.child_id', '=', childId).where(childInReach(actor, now) as never).forUpdate('m').executeTakeFirst() as Promise<Selectable<MissingEpisodeTable> | undefined>
  }

  return {
    async forChild(childId: string) {
      return auditedTransaction(ctx, actor, 'missing.list', async (trx, now) => {
        if (!(await inReach(trx, childId, now))) return { result: null, audit: { action: 'missing.list', outcome: 'not_found' as const, entityId: childId } }
        // an episode's record (circumstances, where found, what the child said) is shown only to a viewer who may see its
        // chronology entry: classroom staff, who see a pupil's identity but not the team's entries, never read it here
        const rows = await trx
          .selectFrom('missing_episode as m')
          .selectAll('m')
          .where('m.partnership_id', '=', actor.partnershipId)
          .where('m.child_id', '=', childId)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('entry as e')
                .select('e.id')
                .where('e.partnership_id', '=', actor.partnershipId)
                .where('e.child_id', '=', childId)
                .where('e.type', '=', 'missing_episode')
                .where('e.detail_type', '=', 'missing_episode')
                .whereRef('e.detail_id', '=', 'm.id')
                .where(entryVisible(actor, now) as never),
            ),
          )
          .orderBy('m.missing_from', 'desc')
          .execute()
        const child = await trx.selectFrom('child').select(['id', 'given_name', 'family_name']).where('id', '=', childId).executeTakeFirstOrThrow()
        const dues = await Promise.all(rows.map((r) => clocks.due(trx, actor.partnershipId, 'missing_episode', r.id, 'R13')))
        return { result: { child, episodes: rows.map((r, i) => ({ ...r, rhiDue: dues[i] })) }, audit: { action: 'missing.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId] } }
      })
    },

    async report(childId: string, input: { missingFrom: Date; policeReference: string | null; risk: MissingEpisodeTable['risk']; circumstances: string }) {
      return auditedTransaction(ctx, actor, 'missing.report', async (trx, now) => {
        if (actor.role !== 'police_officer') throw new RefusedError('Missing episodes are recorded by the police')
        if (!(await inReach(trx, childId, now))) return { result: null, audit: { action: 'missing.report', outcome: 'not_found' as const, entityId: childId } }
        if (input.missingFrom > now) throw new RefusedError('The time the child went missing cannot be in the future')
        // one episode at a time: a child still missing since before this time is not reported missing again (a second
        // officer, a reloaded page), which would also count towards the repeat-episode prompt (R14). An earlier episode
        // reported late is another matter. Two reports at once: the child's row is taken first, so the second sees the first
        await lockChildren(trx, actor.partnershipId, [childId])
        const open = await trx.selectFrom('missing_episode').select('missing_from').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('found_at', 'is', null).where('missing_from', '<=', input.missingFrom).orderBy('missing_from').limit(1).executeTakeFirst()
        if (open) throw new RefusedError(`This child is already recorded as missing since ${formatDateTime(open.missing_from)}: record them as found on that episode first`)
        const id = randomUUID()
        await trx.insertInto('missing_episode').values({ id, partnership_id: actor.partnershipId, child_id: childId, reported_by_membership_id: actor.membershipId, police_reference: input.policeReference, missing_from: input.missingFrom, risk: input.risk, circumstances: input.circumstances, created_at: now }).execute()
        await entry(trx, now, childId, id, { type: 'missing_episode', summary: `Reported missing (${input.risk.replace(/_/g, ' ')} risk). ${input.circumstances}`, significance: input.risk === 'high' ? 'critical' : 'high', occurredAt: input.missingFrom })
        // R14: repeat episodes prompt a strategy meeting — the most episodes in any 30 days (configurable) that include this one
        // (an episode reported late is counted with those around it, never with episodes months after it)
        const span = repeat.days * 86_400_000
        const at = input.missingFrom.getTime()
        const near = await trx.selectFrom('missing_episode').select('missing_from').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('missing_from', '>=', new Date(at - span)).where('missing_from', '<=', new Date(at + span)).execute()
        // each window starts at an episode no later than this one and no more than the span before it
        const times = near.map((r) => r.missing_from.getTime())
        const most = Math.max(...times.filter((start) => start <= at).map((start) => times.filter((t) => t >= start && t <= start + span).length))
        const prompted = most >= repeat.episodes
        if (prompted) {
          await trx.updateTable('missing_episode').set({ strategy_meeting_prompted: true }).where('id', '=', id).execute()
          await entry(trx, now, childId, id, { type: 'signal', summary: `${most} missing episodes in ${repeat.days} days: a strategy meeting should be held (R14).`, significance: 'critical', occurredAt: now })
        }
        await notifyMemberships(trx, actor.partnershipId, await involved(trx, childId, now), { kind: prompted ? 'missing.repeat' : 'missing.reported', childId, subjectType: 'missing_episode', subjectId: id, link: `/children/${childId}/missing` }, now)
        return { result: { id, prompted }, audit: { action: 'missing.report', outcome: 'success', entityType: 'missing_episode', entityId: id, childIds: [childId], details: { prompted } } }
      })
    },

    /** Found: the return home interview clock starts (72 hours). */
    async found(childId: string, id: string, input: { foundAt: Date; whereFound: string }) {
      return auditedTransaction(ctx, actor, 'missing.found', async (trx, now) => {
        const m = await episodeInReach(trx, childId, id, now)
        if (!m) return { result: null, audit: { action: 'missing.found', outcome: 'not_found' as const, entityId: id } }
        if (m.found_at) throw new RefusedError('This child has already been recorded as found')
        if (input.foundAt < m.missing_from) throw new RefusedError('The time found cannot be before the time missing')
        await trx.updateTable('missing_episode').set({ found_at: input.foundAt, where_found: input.whereFound }).where('id', '=', id).execute()
        await entry(trx, now, m.child_id, id, { type: 'missing_found', summary: `Found: ${input.whereFound}. A return home interview must be offered within 72 hours.`, significance: 'high', occurredAt: input.foundAt })
        const involvedIds = await involved(trx, m.child_id, now)
        await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R13', childId: m.child_id, subjectType: 'missing_episode', subjectId: id, startedAt: input.foundAt, escalateToMembershipId: involvedIds[0] ?? null })
        await notifyMemberships(trx, actor.partnershipId, involvedIds, { kind: 'missing.rhi', childId: m.child_id, subjectType: 'missing_episode', subjectId: id, link: `/children/${m.child_id}/missing` }, now)
        return { result: { ok: true }, audit: { action: 'missing.found', outcome: 'success', entityType: 'missing_episode', entityId: id, childIds: [m.child_id] } }
      })
    },

    /** The return home interview: offered by an independent person, and what the child said. */
    async returnHomeInterview(childId: string, id: string, input: { offeredAt: Date; by: string; independent: boolean; accepted: boolean; heldAt: Date | null; childSaid: string; lateReason: string | null }) {
      return auditedTransaction(ctx, actor, 'missing.rhi', async (trx, now) => {
        const m = await episodeInReach(trx, childId, id, now)
        if (!m) return { result: null, audit: { action: 'missing.rhi', outcome: 'not_found' as const, entityId: id } }
        if (!m.found_at) throw new RefusedError('Record the child as found first')
        // the episode row is locked (episodeInReach): a double click records the interview once
        if (m.rhi_offered_at) throw new RefusedError('The return home interview has already been recorded for this episode')
        // the interview's time meets the R13 clock: never before the child was found, never later than now
        if (input.offeredAt < m.found_at) throw new RefusedError('The interview cannot have been offered before the child was found')
        if (input.offeredAt > now) throw new RefusedError('The time the interview was offered cannot be in the future')
        if (!input.independent) throw new RefusedError('A return home interview is offered by an independent person: someone not involved in the child’s care')
        const due = await clocks.due(trx, actor.partnershipId, 'missing_episode', id, 'R13')
        const late = due !== null && input.offeredAt > due
        await trx.updateTable('missing_episode').set({ rhi_offered_at: input.offeredAt, rhi_by: input.by, rhi_independent: input.independent, rhi_accepted: input.accepted, rhi_held_at: input.heldAt, rhi_child_said: input.childSaid || null, rhi_recorded_by: actor.membershipId }).where('id', '=', id).execute()
        // R13: met, or met late with the reason (without it, refused on its field: nothing above is kept)
        await clocks.meet(trx, actor.partnershipId, 'missing_episode', id, input.offeredAt, late ? input.lateReason : null, 'The interview was offered after 72 hours: record why')
        await entry(trx, now, m.child_id, id, { type: 'return_home_interview', summary: `Return home interview ${input.accepted ? 'held' : 'offered and declined'}${input.childSaid ? `. The child said: ${input.childSaid}` : ''}`, significance: 'medium', occurredAt: input.heldAt ?? input.offeredAt })
        return { result: { ok: true, late }, audit: { action: 'missing.rhi', outcome: 'success', entityType: 'missing_episode', entityId: id, childIds: [m.child_id], details: { late } } }
      })
    },
  }
}
