// The one named system repository: what jobs do outside any practitioner's scope (escalating overdue clocks,
// delivering the outbox). Every action is audited as the system. Greppable on purpose: `systemRepository(`.
import { randomBytes } from 'node:crypto'
import { sql, type SqlBool } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import { writeAudit } from './audit.ts'
import { notifyMemberships } from './notify.ts'
import { randomUUID } from 'node:crypto'
import { evaluate, londonDay, londonDayOf, londonDayStart, lookbackDays } from '../modules/signals/rules.ts'
import { routeFollowedSignals, routeSignal } from '../modules/signals/routing.ts'
import { lockFollowingMerges } from './repositories/children.ts'
import type { Ctx } from './unit-of-work.ts'
import { recordsImporter } from '../modules/records/repository.ts'
import { runRetention } from '../modules/retention/job.ts'
import { escalationStandIns } from '../modules/requests/rules.ts'

/** How far before the last signal run an entry's recorded_at may be and still be looked at again (a late commit). */
export const SIGNAL_COMMIT_GRACE_MS = 10 * 60_000
/** The most signals one rule fires for one child in one run (a late import of years of history is not a flood). */
const MAX_SETS_PER_RULE_RUN = 20

export function systemRepository(ctx: Ctx, job: string) {
  const holder = `${job}:${process.pid}:${randomBytes(4).toString('hex')}`
  return {
    job,
    /** One instance of a job at a time across processes: a lease per partnership-less job (the nil partnership). */
    async takeLease(name: string, ttlMs: number): Promise<boolean> {
      const now = ctx.clock.now()
      const nil = '00000000-0000-0000-0000-000000000000'
      const r = await sql<{ holder: string }>`
        insert into lease (partnership_id, name, holder, expires_at) values (${nil}, ${name}, ${holder}, ${new Date(now.getTime() + ttlMs)})
        on conflict (partnership_id, name) do update set holder = excluded.holder, expires_at = excluded.expires_at
          where lease.expires_at < ${now} or lease.holder = excluded.holder
        returning holder`.execute(ctx.db)
      return r.rows.length === 1
    },

    /** Running clocks past their due time become overdue and are escalated to the manager the rule names. */
    async escalateOverdueClocks(): Promise<number> {
      const now = ctx.clock.now()
      return ctx.db.transaction().execute(async (trx) => {
        const overdue = await trx
          .updateTable('clock')
          .set({ state: 'overdue', escalated_at: now })
          .where('state', '=', 'running')
          .where('due_at', '<', now)
          .returning(['id', 'partnership_id', 'rule', 'child_id', 'subject_type', 'subject_id', 'escalate_to_membership_id'])
          .execute()
        const byPartnership = new Map<string, typeof overdue>()
        for (const c of overdue) byPartnership.set(c.partnership_id, [...(byPartnership.get(c.partnership_id) ?? []), c])
        for (const [partnershipId, clocks] of byPartnership) {
          const unheard: string[] = []
          for (const c of clocks) {
            // an information request's page is the one the escalation target may see (they may have no reach to the child)
            const link = c.subject_type === 'referral' ? `/front-door/referrals/${c.subject_id}` : c.subject_type === 'information_request' ? `/information-requests/${c.subject_id}` : c.subject_type === 'file_transfer' ? `/file-transfers/${c.subject_id}` : c.subject_type === 'subject_access_request' ? `/subject-access/${c.subject_id}` : c.child_id ? `/children/${c.child_id}` : '/clocks'
            const notice = { kind: 'clock.overdue', childId: c.child_id, subjectType: c.subject_type, subjectId: c.subject_id, link }
            // the manager named when the clock started, if still in post (a clock can run for weeks: notifyMemberships
            // tells only those in post); failing them, for a referral, the front door's team managers, who own R1
            let told = await notifyMemberships(trx, partnershipId, c.escalate_to_membership_id ? [c.escalate_to_membership_id] : [], notice, now)
            // an information request's: the managers in post of the named manager's agency (who may then open it)
            if (!told.length && c.subject_type === 'information_request' && c.escalate_to_membership_id) {
              told = await notifyMemberships(trx, partnershipId, (await escalationStandIns(trx, partnershipId, c.escalate_to_membership_id, now)).managers, notice, now)
            }
            if (!told.length && c.subject_type === 'referral') {
              const managers = await trx
                .selectFrom('referral as f')
                .innerJoin('membership as m', (j) => j.onRef('m.team_id', '=', 'f.queue_team_id').on('m.partnership_id', '=', partnershipId))
                .select('m.id')
                .where('f.id', '=', c.subject_id)
                .where('m.role', '=', 'team_manager')
                .execute()
              told = await notifyMemberships(trx, partnershipId, managers.map((m) => m.id), notice, now)
            }
            // told nobody: kept in the audit (and an information request says so on its page), never dropped unseen
            if (!told.length) unheard.push(c.id)
          }
          await writeAudit(trx, { kind: 'system', partnershipId, job, requestId: holder }, now, {
            action: 'clock.escalate',
            outcome: 'success',
            childIds: [...new Set(clocks.flatMap((c) => (c.child_id ? [c.child_id] : [])))],
            details: { clocks: clocks.map((c) => ({ id: c.id, rule: c.rule })), ...(unheard.length ? { toldNobody: unheard } : {}) },
          })
        }
        return overdue.length
      })
    },

    /**
     * Evaluates the partnership's signal rules — the latest version of each, if that version is active — for every
     * child with entries recorded since the last run, or brought to it by a merge or a link (signal_recheck); and,
     * when a rule has a new version since the last run, that rule again for every child with entries inside its
     * window (a wider window or a lower count may now fire on entries already there). Windows are calendar days in
     * Europe/London (rules.ts `withinWindow`); a newly recorded entry is judged with the entries around the day it
     * occurred, however long ago (a late import), and a rule fires on each set holding a newly recorded entry no signal
     * of the rule has named (the set with most of them first, then the most recent). A fired signal names its
     * entries, goes to the lead practitioner of the child's open team around the child (issue 4: "the lead
     * practitioner or the front door"), failing them the allocated workers, failing them the front door; it lands in
     * the chronology as a signal entry, and is not fired again for entries it already named. The children's rows are
     * taken as a merge takes them (lockFollowingMerges), and a child a merge has emptied is evaluated as the child it
     * went into. The signals migration 20261130T2120 moved are routed and audited here first (routeFollowedSignals).
     */
    async evaluateSignals(): Promise<number> {
      const now = ctx.clock.now()
      let fired = 0
      const partnerships = await ctx.db.selectFrom('partnership').select('id').execute()
      for (const { id: partnershipId } of partnerships) {
        fired += await ctx.db.transaction().execute(async (trx) => {
          const mark = await trx.selectFrom('signal_watermark').select('evaluated_through').where('partnership_id', '=', partnershipId).forUpdate().executeTakeFirst()
          const since = mark?.evaluated_through ?? new Date(0)
          // an entry's recorded_at is its writer's clock, read before its transaction commits: one committed after
          // the last run had passed that moment would fall behind the watermark unseen, so entries recorded a little
          // before it are looked at again (a signal already fired for the same entries is not fired twice)
          const entriesSince = new Date(since.getTime() - SIGNAL_COMMIT_GRACE_MS)
          // the latest version of each rule (a new version that deactivates a rule stops it: its latest is inactive)
          const latest = await trx.selectFrom('signal_rule as r').selectAll().where('r.partnership_id', '=', partnershipId)
            .where(({ eb, selectFrom }) => eb('r.version', '=', selectFrom('signal_rule as r2').select((e2) => e2.fn.max('r2.version').as('v')).whereRef('r2.code', '=', 'r.code').where('r2.partnership_id', '=', partnershipId)))
            .execute()
          const rules = latest.filter((r) => r.active)
          const changed = rules.filter((r) => r.created_at > since && r.created_at <= now)
          // windows are calendar days in Europe/London (rules.ts withinWindow), worked out in SQL: today's day number
          const today = (await sql<{ day: number }>`select ${londonDayOf(now)} as day`.execute(trx)).rows[0]!.day
          const recent = rules.length
            ? await trx.selectFrom('entry').select('child_id').distinct().where('partnership_id', '=', partnershipId).where('recorded_at', '>', entriesSince).where('recorded_at', '<=', now).where('type', '<>', 'signal').execute()
            : []
          // children with nothing new, looked at again only for the rules that changed
          const recentIds = new Set(recent.map((c) => c.child_id))
          const again = changed.length && mark
            ? (await trx.selectFrom('entry').select('child_id').distinct().where('partnership_id', '=', partnershipId).where('occurred_at', '>=', londonDayStart(today - lookbackDays(changed.map((r) => r.definition)) * 2)).where('recorded_at', '<=', now).where('type', '<>', 'signal').execute()).filter((c) => !recentIds.has(c.child_id))
            : []
          // the children a merge or a link brought entries to since the last run: their entries are judged as newly
          // recorded (they keep their recorded_at), so the strands a merge brings together fire now, not at the child's
          // next entry. Read here without a lock; their rows are taken off the list only once the children are locked
          // (below), in the order a merge takes them — children first, then the list — so neither waits on the other.
          const rechecked = (await trx.selectFrom('signal_recheck').select('child_id').where('partnership_id', '=', partnershipId).execute()).map((r) => r.child_id)
          const listed = [
            ...recent.map((c) => ({ childId: c.child_id, rules })),
            ...(rules.length ? rechecked.map((childId) => ({ childId, rules })) : []),
            ...again.map((c) => ({ childId: c.child_id, rules: changed })),
          ]
          // the signals migration 20261130T2120 moved, still to be routed on the child they are on now
          const pending = await trx.selectFrom('signal_follow_pending as p').innerJoin('risk_signal as s', (j) => j.onRef('s.partnership_id', '=', 'p.partnership_id').onRef('s.id', '=', 'p.signal_id')).select('s.child_id').where('p.partnership_id', '=', partnershipId).execute()
          // The children's rows are taken as a merge takes them, before their entries are read: a merge at the same
          // moment either finishes first — and a child it emptied is evaluated as the child it went into — or waits
          // for this run; never a signal fired on entries a merge is taking away to another child.
          const evaluateAs = await lockFollowingMerges(trx, partnershipId, [...listed.map((c) => c.childId), ...rechecked, ...pending.map((p) => p.child_id)])
          // the list's rows for those children, as they are now (a merge that finished before the lock added its
          // entries), taken off in this transaction: a run that fails leaves them for the next. Each child's entries are
          // judged on the child it is evaluated as.
          const recheckOf = new Map<string, Set<string>>()
          if (rechecked.length) {
            const taken = await trx.deleteFrom('signal_recheck').where('partnership_id', '=', partnershipId).where('child_id', 'in', rechecked).returning(['child_id', 'entry_ids']).execute()
            for (const r of taken) {
              const as = evaluateAs.get(r.child_id) ?? r.child_id
              const ids = recheckOf.get(as) ?? new Set<string>()
              for (const i of r.entry_ids) ids.add(i)
              recheckOf.set(as, ids)
            }
          }
          const followed = await routeFollowedSignals(trx, partnershipId, now)
          const byChild = new Map<string, Map<string, (typeof rules)[number]>>()
          const mergedAway: string[] = []
          for (const { childId, rules: toEvaluate } of listed) {
            const as = evaluateAs.get(childId)
            if (as !== childId) mergedAway.push(childId)
            if (!as) continue
            const set = byChild.get(as) ?? new Map<string, (typeof rules)[number]>()
            for (const r of toEvaluate) set.set(r.code, r)
            byChild.set(as, set)
          }
          const children = [...byChild].map(([childId, set]) => ({ childId, rules: [...set.values()] }))
          let n = 0
          const touched: string[] = []
          const changedCodes = new Set(mark ? changed.map((r) => r.code) : [])
          for (const { childId, rules: toEvaluate } of children) {
            // The entries read: those of the last 2 × the longest window (as before), and those within the longest
            // window of the day a newly recorded entry occurred on, however long ago: a late import (a police CSV
            // loaded weeks later) is judged among the entries around it, not only among recent ones.
            const longest = lookbackDays(toEvaluate.map((r) => r.definition))
            const recheckIds = recheckOf.get(childId) ?? new Set<string>()
            // the London days the newly recorded entries occurred on, first and last (one small read), so the entries
            // are found by ranges of occurred_at the (child, occurred_at) index serves, not a comparison per pair
            const freshDays = await trx
              .selectFrom('entry')
              .select([sql<number | null>`min(${londonDay('occurred_at')})`.as('first'), sql<number | null>`max(${londonDay('occurred_at')})`.as('last')])
              .where('partnership_id', '=', partnershipId)
              .where('child_id', '=', childId)
              .where((eb) => {
                const recorded = eb.and([eb('recorded_at', '>', entriesSince), eb('recorded_at', '<=', now), eb('type', '<>', 'signal')])
                // one parameter, however many entries a merge brought
                return recheckIds.size ? eb.or([recorded, sql<SqlBool>`id = any(${[...recheckIds]}::uuid[])`]) : recorded
              })
              .where('visibility', '<>', 'sealed')
              .executeTakeFirstOrThrow()
            const entries = await trx
              .selectFrom('entry as e')
              .select(['e.id', 'e.type', 'e.category', 'e.occurred_at', 'e.source_agency_id', londonDay('e.occurred_at').as('day'), sql<boolean>`(e.recorded_at > ${entriesSince} and e.recorded_at <= ${now} and e.type <> 'signal')`.as('fresh')])
              .where('e.partnership_id', '=', partnershipId)
              .where('e.child_id', '=', childId)
              // a sealed entry's existence is hidden outside its authoring team: no signal (seen by others) may count it
              .where('e.visibility', '<>', 'sealed')
              .where((eb) => {
                const recentOnes = eb('e.occurred_at', '>=', londonDayStart(today - longest * 2))
                if (freshDays.first === null || freshDays.last === null) return recentOnes
                const aroundFresh = eb.and([eb('e.occurred_at', '>=', londonDayStart(Number(freshDays.first) - (longest - 1))), eb('e.occurred_at', '<', londonDayStart(Number(freshDays.last) + longest))])
                return eb.or([recentOnes, aroundFresh])
              })
              .execute()
            const mapped = entries.map((e) => ({ id: e.id, type: e.type, category: e.category, occurredAt: e.occurred_at, day: Number(e.day), sourceAgencyId: e.source_agency_id }))
            const freshIds = new Set(entries.filter((e) => e.fresh || recheckIds.has(e.id)).map((e) => e.id))
            const firedBefore = await trx.selectFrom('risk_signal').select(['rule_code', 'entry_ids']).where('partnership_id', '=', partnershipId).where('child_id', '=', childId).execute()
            for (const rule of toEvaluate) {
              // the signals the rule has fired on this child: a set they name, or a part of one, never fires again
              const previous = firedBefore.filter((p) => p.rule_code === rule.code).map((p) => new Set(p.entry_ids))
              const named = new Set(previous.flatMap((p) => [...p]))
              const ruleChanged = changedCodes.has(rule.code)
              const notFired = (set: readonly { id: string }[]) => !previous.some((p) => set.every((e) => p.has(e.id)))
              // A set fires only when it holds a newly recorded entry no signal of the rule has named yet (or, for a rule
              // changed since the last run, any set it has not fired for): an entry already named (it stays "new" for the
              // commit grace of the next runs) never fires an older set beside its signal. Entries a merge or a link
              // brought here count as newly recorded (signal_recheck), so there is no fall-back to the most recent set:
              // it fired old sets the earlier runs had passed over, on whichever run came within the grace.
              // Every set the newly recorded entries complete fires, each once: one import may bring two patterns months
              // apart (March's and October's), and the older must not wait on the job's timing (after this run its
              // entries are no longer new). Each set fired names its entries, so the next round looks for a set with a
              // new entry no signal has named; a changed rule's look back fires one set only.
              // Each round takes the set with most of those new entries (then the most recent): one import of a notice
              // and an attendance fires one signal naming both, never one pairing the attendance with an older notice
              // and then another for the new notice it left out.
              const unnamedFresh = (set: readonly { id: string }[]) => set.filter((e) => freshIds.has(e.id) && !named.has(e.id)).length
              for (let round = 0; round < MAX_SETS_PER_RULE_RUN; round++) {
                const hit =
                  round === 0
                    ? evaluate(rule.definition, mapped, (set) => notFired(set) && (ruleChanged || unnamedFresh(set) > 0), unnamedFresh)
                    : evaluate(rule.definition, mapped, (set) => notFired(set) && unnamedFresh(set) > 0, unnamedFresh)
                if (!hit) break
                const ids = hit.map((h) => h.id).sort()
                const signalId = randomUUID()
                // the lead practitioner, else the allocated workers, else the front door (routeSignal: as when a merge brings it to another child)
                const to = await routeSignal(trx, partnershipId, childId, { id: signalId, ruleName: rule.name }, now)
                await trx.insertInto('risk_signal').values({ id: signalId, partnership_id: partnershipId, child_id: childId, rule_code: rule.code, rule_version: rule.version, fingerprint: ids.join(','), entry_ids: ids, fired_at: now, routed_to: to }).execute()
                // The chronology's entry is seen by everyone with case reach (`team`), so it says which rule fired and
                // nothing of the entries that caused it: no count, and filed under the agency the signal went to (the
                // first member told, else the front door's), never under the agency of an entry the viewer may not see.
                // The signal's own page names the entries, each only to a viewer who may see it.
                const toldAgency = to.length ? (await trx.selectFrom('membership').select('agency_id').where('partnership_id', '=', partnershipId).where('id', '=', [...to].sort()[0]!).executeTakeFirst())?.agency_id : undefined
                const frontDoorAgency = toldAgency ? undefined : (await trx.selectFrom('team').select('agency_id').where('partnership_id', '=', partnershipId).where('is_front_door', '=', true).orderBy('id').executeTakeFirst())?.agency_id
                // a partnership with no front door and nobody to tell: the agency of one of the entries named (there is no other)
                const filedUnder = toldAgency ?? frontDoorAgency ?? (await trx.selectFrom('entry').select('source_agency_id').where('id', '=', ids[ids.length - 1]!).executeTakeFirstOrThrow()).source_agency_id
                await trx.insertInto('entry').values({ id: randomUUID(), partnership_id: partnershipId, child_id: childId, type: 'signal', category: null, occurred_at: now, recorded_at: now, author_membership_id: null, author_team_id: null, source_agency_id: filedUnder, significance: 'critical', summary: `Risk signal: ${rule.name}.`, detail_type: 'risk_signal', detail_id: signalId, visibility: 'team', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null }).execute()
                n++
                touched.push(childId)
                previous.push(new Set(ids))
                for (const i of ids) named.add(i)
              }
            }
          }
          await trx.insertInto('signal_watermark').values({ partnership_id: partnershipId, evaluated_through: now }).onConflict((oc) => oc.column('partnership_id').doUpdateSet({ evaluated_through: now })).execute()
          if (children.length || mergedAway.length) {
            await writeAudit(trx, { kind: 'system', partnershipId, job, requestId: holder }, now, { action: 'signal.evaluate', outcome: 'success', childIds: [...new Set([...children.map((c) => c.childId), ...mergedAway])], details: { fired: n, firedFor: touched, ...(mergedAway.length ? { mergedAway } : {}), ...(changed.length && mark ? { rulesChanged: changed.map((r) => `${r.code}@${r.version}`) } : {}) } })
          }
          if (followed.length) {
            // what the migration moved, and whom each open signal reached on its new child (as a merge's audit row says)
            const routed = followed.filter((f) => f.told.length)
            await writeAudit(trx, { kind: 'system', partnershipId, job, requestId: holder }, now, {
              action: 'signal.follow',
              outcome: 'success',
              childIds: [...new Set(followed.flatMap((f) => [f.fromChildId, f.toChildId]))],
              details: { migration: '20261130T2120_signals_stranded', signals: followed.map((f) => ({ id: f.id, from: f.fromChildId, to: f.toChildId, entries: f.entryIds })), ...(routed.length ? { signalsRoutedTo: Object.fromEntries(routed.map((f) => [f.id, f.told])) } : {}) },
            })
          }
          return n
        })
      }
      return fired
    },

    /**
     * Imports an agency's records or entries from the command line (scripts/import.ts): no practitioner is signed
     * in at a terminal, so the import is done and audited as the system, naming the agency it was done for.
     */
    recordsImporter(partnershipId: string, agencyId: string) {
      return recordsImporter(ctx, { kind: 'system', partnershipId, job, requestId: holder }, { partnershipId, agencyId, membershipId: null, teamId: null })
    },

    /**
     * Retention (src/modules/retention/job.ts): carries out the reports a second person approved, closes the refused
     * ones, and makes the day's dry-run report of records past their retention date and not on legal hold. As the system.
     */
    async runRetention(): Promise<{ executed: number; reports: number }> {
      return runRetention(ctx.db, (partnershipId) => ({ kind: 'system', partnershipId, job, requestId: holder }), ctx.clock.now())
    },

    /** The API's idempotency keys past their 24 hours (a key may then be used again anyway): kept no longer than needed. */
    async purgeExpiredIdempotencyKeys(): Promise<number> {
      const r = await ctx.db.deleteFrom('idempotency_key').where('expires_at', '<=', ctx.clock.now()).executeTakeFirst()
      return Number(r.numDeletedRows)
    },

    /** Takes unsent outbox messages (no personal data in them by construction) and marks them sent. */
    async takeOutbox(limit: number, deliver: (m: { to: string; subject: string; body: string }) => Promise<void>): Promise<number> {
      const now = ctx.clock.now()
      return ctx.db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('outbox').select(['id', 'to_address', 'subject', 'body']).where('sent_at', 'is', null).orderBy('created_at').limit(limit).forUpdate().skipLocked().execute()
        for (const m of rows) {
          await deliver({ to: m.to_address, subject: m.subject, body: m.body })
          await trx.updateTable('outbox').set({ sent_at: now, attempts: sql`attempts + 1` }).where('id', '=', m.id).execute()
        }
        return rows.length
      })
    },
  }
}

export type SystemRepository = ReturnType<typeof systemRepository>
export type { Clock }
