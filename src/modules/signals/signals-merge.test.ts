// Risk signals and reviewers' merges (ADR 0008): the signals that merges made before signals followed their entries
// left behind are moved by migration 20261130T2120 and routed by the next evaluation; and an evaluation takes the
// children's rows as a merge does, so that it never fires a signal on a child a merge is emptying.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { lockChildren } from '../../data/repositories/children.ts'
import { down as dropStranded, up as moveStranded } from '../../../migrations/20261130T2120_signals_stranded.ts'

const P = stableUuid('partnership:northshire')
const CSC = stableUuid('northshire:agency:csc')
const RECORDS = 'source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address'
const ENTRIES = 'source_ref,occurred_at,type,category,significance,summary,visibility'
const RULE = 'domestic_abuse_and_health'

describeApp('risk signals and merges: signals left behind by earlier merges, and an evaluation at the same moment as a merge', (ctx) => {
  const db = () => ctx.s.t.db
  const system = () => systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'signals-merge-test')
  const recordOf = (ref: string) => db().selectFrom('agency_record').selectAll().where('partnership_id', '=', P).where('agency_id', '=', CSC).where('source_ref', '=', ref).executeTakeFirstOrThrow()
  const importCsv = async (kind: 'records' | 'entries', lines: string[]) => {
    const admin = await ctx.s.signIn('admin.csc')
    ctx.s.clock.advance(60_000)
    const res = await admin.post('/records/import', { kind, csv: [kind === 'records' ? RECORDS : ENTRIES, ...lines].join('\n') })
    assert.equal(res.statusCode, 200, res.body)
  }
  /** A police domestic-abuse incident and a health attendance two days apart: the rule fires on them. */
  const firingEntries = (ref: string, day: number) => [
    `${ref},2026-11-${String(day).padStart(2, '0')},police_incident,domestic_abuse,high,Police called to a domestic incident at home,team`,
    `${ref},2026-11-${String(day + 2).padStart(2, '0')},health_attendance,,medium,Seen at the emergency department with a bruised arm,team`,
  ]
  const signalsOn = (childId: string) => db().selectFrom('risk_signal').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).execute()

  it('migration 20261130T2120 moves the signals an earlier merge left behind, with their entries, and the next evaluation routes the open one and audits both', async () => {
    const d = db()
    await system().evaluateSignals()
    const row = (ref: string, given: string) => `${ref},${given},Marrick,2013-03-17,female,,,NS9 2BB,`
    await importCsv('records', [row('STR-0', 'Rosalind')])
    const target = (await recordOf('STR-0')).child_id
    // a twin by first name: the record waits for a reviewer against the child above
    await importCsv('records', [row('STR-1', 'Clementine')])
    const rec = await recordOf('STR-1')
    assert.deepEqual([rec.match_state, rec.review_child_id], ['review', target])
    const own = rec.child_id
    await makeTac(d, { childIds: [target], lead: 'nurse' })
    const nurse = membershipOf('nurse')
    // two signals on the record's own child, a fortnight apart; the front door answers the first
    await importCsv('entries', firingEntries('STR-1', 1))
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    await importCsv('entries', firingEntries('STR-1', 12))
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    const [answered, open] = (await signalsOn(own)).sort((a, b) => a.fired_at.getTime() - b.fired_at.getTime())
    assert.ok(answered && open)
    const front = await ctx.s.signIn('frontdoor')
    const response = 'Strategy discussion with police booked.'
    assert.equal((await front.post(`/signals/${answered.id}/acknowledge`, { response })).statusCode, 303)
    const acknowledged = await d.selectFrom('risk_signal').selectAll().where('id', '=', answered.id).executeTakeFirstOrThrow()
    const signalIds = [answered.id, open.id]
    const signalEntryIds = (await d.selectFrom('entry').select('id').where('detail_type', '=', 'risk_signal').where('detail_id', 'in', signalIds).orderBy('id').execute()).map((e) => e.id)
    assert.equal(signalEntryIds.length, 2)
    const toldBefore = async (signalId: string) => (await d.selectFrom('notification').select('membership_id').where('subject_id', '=', signalId).orderBy('membership_id').execute()).map((n) => n.membership_id)
    const toldAnswered = await toldBefore(answered.id)
    const toldOpen = await toldBefore(open.id)
    assert.ok(!toldOpen.includes(nurse))

    const reviewer = await ctx.s.signIn('partnership.admin')
    assert.equal((await reviewer.post(`/records/${rec.id}/merge`, { reason: 'Same child, registered twice' })).statusCode, 303)
    // The state a merge made before 20261130T1830 left: the entries on the child they went to, the signals — with
    // their own entries and the front door's relationship — on the child they came from, which for that reason was
    // not marked as merged; nobody on the child they went to told.
    await ctx.s.t.privileged(async (p) => {
      await p.updateTable('risk_signal').set({ child_id: own }).where('id', 'in', signalIds).execute()
      await p.updateTable('risk_signal').set({ routed_to: open.routed_to }).where('id', '=', open.id).execute()
      await p.deleteFrom('notification').where('subject_id', '=', open.id).where('membership_id', '=', nurse).execute()
      await p.updateTable('entry').set({ child_id: own }).where('id', 'in', signalEntryIds).execute()
      await p.updateTable('relationship').set({ child_id: own }).where('source', '=', `signal ${open.id}`).execute()
      await p.updateTable('child').set({ merged_into_child_id: null }).where('id', '=', own).execute()
    })
    const recordEntries = (await d.selectFrom('entry').select(['id', 'child_id']).where('agency_record_id', '=', rec.id).execute())
    assert.deepEqual([...new Set(recordEntries.map((e) => e.child_id))], [target])
    // and a signal whose entries are split between two children: it stays where it is
    const elsewhere = await d.selectFrom('entry').select('id').where('partnership_id', '=', P).where('child_id', 'not in', [own, target]).where('type', '<>', 'signal').orderBy('id').executeTakeFirstOrThrow()
    const split = { id: randomUUID(), partnership_id: P, child_id: own, rule_code: RULE, rule_version: answered.rule_version, fingerprint: 'split', entry_ids: [recordEntries[0]!.id, elsewhere.id], fired_at: ctx.s.clock.now(), routed_to: [] }
    await d.insertInto('risk_signal').values(split).execute()

    await ctx.s.t.privileged(async (p) => {
      await dropStranded(p as unknown as Kysely<unknown>)
      await moveStranded(p as unknown as Kysely<unknown>)
    })
    const moved = await d.selectFrom('risk_signal').selectAll().where('id', 'in', signalIds).execute()
    assert.deepEqual(moved.map((s) => s.child_id), [target, target], 'the signals are on the child their entries are on')
    assert.deepEqual((await d.selectFrom('entry').select('child_id').where('id', 'in', signalEntryIds).execute()).map((e) => e.child_id), [target, target], 'with their entries in the chronology')
    assert.equal((await d.selectFrom('relationship').select('child_id').where('source', '=', `signal ${open.id}`).executeTakeFirstOrThrow()).child_id, target, 'and the front door’s reason to see the child')
    assert.equal((await d.selectFrom('risk_signal').select('child_id').where('id', '=', split.id).executeTakeFirstOrThrow()).child_id, own, 'a signal whose entries are split stays')
    assert.equal((await d.selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()).merged_into_child_id, target, 'the emptied child is marked as merged')
    const movedAnswered = moved.find((s) => s.id === answered.id)!
    assert.deepEqual([movedAnswered.acknowledged_at, movedAnswered.acknowledged_by, movedAnswered.response, movedAnswered.rule_version], [acknowledged.acknowledged_at, acknowledged.acknowledged_by, response, answered.rule_version], 'the response is kept')
    assert.deepEqual((await d.selectFrom('signal_follow_pending').select('signal_id').orderBy('signal_id').execute()).map((p) => p.signal_id), [...signalIds].sort())

    // the next evaluation routes the open one on its new child — to the lead practitioner there — and audits the move
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    const routed = await d.selectFrom('risk_signal').selectAll().where('id', 'in', signalIds).execute()
    assert.deepEqual(routed.find((s) => s.id === open.id)!.routed_to, [...open.routed_to, nurse])
    assert.deepEqual(routed.find((s) => s.id === answered.id)!.routed_to, acknowledged.routed_to)
    assert.deepEqual(await toldBefore(open.id), [...toldOpen, nurse].sort())
    assert.deepEqual(await toldBefore(answered.id), toldAnswered, 'nobody is told again of an answered signal')
    assert.equal((await d.selectFrom('signal_follow_pending').select('signal_id').execute()).length, 0)
    const audit = await d.selectFrom('audit_event').select(['child_ids', 'details', 'actor_kind']).where('action', '=', 'signal.follow').executeTakeFirstOrThrow()
    const details = audit.details as { signals: { id: string; from: string; to: string; entries: string[] }[]; signalsRoutedTo: Record<string, string[]> }
    assert.equal(audit.actor_kind, 'system')
    assert.deepEqual([...audit.child_ids].sort(), [own, target].sort())
    assert.deepEqual(details.signals.map((s) => [s.id, s.from, s.to]).sort(), signalIds.map((id) => [id, own, target]).sort())
    assert.deepEqual(details.signalsRoutedTo, { [open.id]: [nurse] })
    const lead = await ctx.s.signIn('nurse')
    assert.match((await lead.get('/signals')).body, new RegExp(open.id))
    assert.equal((await lead.get(`/signals/${open.id}`)).statusCode, 200)
    // once only
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    assert.deepEqual(await toldBefore(open.id), [...toldOpen, nurse].sort())
    assert.equal((await d.selectFrom('audit_event').select('id').where('action', '=', 'signal.follow').execute()).length, 1)
  })

  it('an evaluation fires no signal on a child a merge has emptied', async () => {
    const d = db()
    await importCsv('records', ['GONE-X,Perpetua,Vaudrey,2012-01-29,female,,,NS7 4CC,', 'GONE-Y,Albertine,Scullion,2011-08-05,female,,,NS7 5DD,'])
    const x = (await recordOf('GONE-X')).child_id
    const y = (await recordOf('GONE-Y')).child_id
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    // a child merged into another, with entries written onto it afterwards (a page opened before the merge)
    await d.updateTable('child').set({ merged_into_child_id: y }).where('id', '=', x).execute()
    const at = ctx.s.clock.now()
    const entry = (type: string, category: string | null, day: number) => ({ id: randomUUID(), partnership_id: P, child_id: x, type, category, occurred_at: new Date(`2026-11-${day}T12:00:00Z`), recorded_at: at, author_membership_id: null, author_team_id: null, source_agency_id: CSC, significance: 'high' as const, summary: 'Recorded after the merge', visibility: 'team' as const })
    await d.insertInto('entry').values([entry('police_incident', 'domestic_abuse', 18), entry('health_attendance', null, 20)]).execute()
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    assert.deepEqual(await signalsOn(x), [], 'no signal on the merged-away child')
    const audit = await d.selectFrom('audit_event').select('details').where('action', '=', 'signal.evaluate').orderBy('at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual((audit.details as { mergedAway?: string[] }).mergedAway, [x])
  })

  it('an evaluation at the same moment as a merge waits for it, and fires on the child the entries went to, not the one emptied', async (t) => {
    if (ctx.s.t.engine !== 'postgres') {
      t.skip('PGlite runs one transaction at a time: there is no "same moment"')
      return
    }
    const d = db()
    await importCsv('records', ['RACE-X,Ottilie,Brackenbury,2010-05-11,female,,,NS6 1EE,', 'RACE-Y,Wilhelmina,Fairbairn,2009-10-02,female,,,NS6 2FF,'])
    const rec = await recordOf('RACE-X')
    const x = rec.child_id
    const y = (await recordOf('RACE-Y')).child_id
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
    await importCsv('entries', firingEntries('RACE-X', 17))
    const recordEntries = (await d.selectFrom('entry').select('id').where('agency_record_id', '=', rec.id).orderBy('id').execute()).map((e) => e.id)
    assert.equal(recordEntries.length, 2)

    // a merge under way: the children's rows taken as the merge takes them, the entries moved, not yet committed
    let holding!: () => void
    let release!: () => void
    const held = new Promise<void>((r) => (holding = r))
    const gate = new Promise<void>((r) => (release = r))
    const merge = d.transaction().execute(async (trx) => {
      await lockChildren(trx, P, [x, y])
      await trx.updateTable('entry').set({ child_id: y }).where('agency_record_id', '=', rec.id).execute()
      await trx.updateTable('agency_record').set({ child_id: y }).where('id', '=', rec.id).execute()
      await trx.updateTable('child').set({ merged_into_child_id: y }).where('id', '=', x).execute()
      holding()
      await gate
    })
    await held
    ctx.s.clock.advance(60_000)
    let finished = false
    const evaluation = system().evaluateSignals().finally(() => (finished = true))
    let waiting = false
    try {
      for (let i = 0; i < 100 && !waiting && !finished; i++) {
        await new Promise((r) => setTimeout(r, 20))
        waiting = await ctx.s.t.privileged(async (p) => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(p)).rows[0]!.n > 0)
      }
    } finally {
      // the merge commits whatever was seen, so that nothing is left waiting
      release()
      await merge
      await evaluation
    }
    assert.ok(waiting, 'the evaluation waited for the merge’s lock on the children')
    assert.deepEqual(await signalsOn(x), [], 'nothing fired on the child the merge emptied')
    const onY = (await signalsOn(y)).filter((s) => s.rule_code === RULE)
    assert.equal(onY.length, 1, 'the signal fired on the child the entries went to')
    assert.deepEqual([...onY[0]!.entry_ids].sort(), recordEntries)
    assert.equal((await d.selectFrom('entry').select('child_id').where('detail_id', '=', onY[0]!.id).executeTakeFirstOrThrow()).child_id, y)
  })
})
