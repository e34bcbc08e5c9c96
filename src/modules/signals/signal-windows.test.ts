// The rules' windows are calendar days in Europe/London (both ends included), and a late import — an entry recorded
// now that occurred long ago — is judged in the windows around the day it occurred. A fake clock throughout; it only
// moves forward (the evaluation's watermark follows it).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('risk signal windows: calendar days in Europe/London, and late imports', (ctx) => {
  const db = () => ctx.s.t.db
  const system = () => systemRepository({ db: db(), clock: ctx.s.clock }, 'signal-windows-test')
  const taken: string[] = []
  /** A Brookside pupil known to nobody else and with no entries yet: nothing of the demo data's in its windows. */
  const blankChild = async () => {
    const r = await db()
      .selectFrom('relationship as r')
      .select('r.child_id')
      .where('r.type', '=', 'pupil_at')
      .where('r.holder_agency_id', '=', id('agency:brookside'))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('relationship as o').select('o.id').whereRef('o.child_id', '=', 'r.child_id').where('o.type', '!=', 'pupil_at'))))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('entry as e').select('e.id').whereRef('e.child_id', '=', 'r.child_id'))))
      .where((eb) => (taken.length ? eb('r.child_id', 'not in', taken) : eb.val(true)))
      .orderBy('r.child_id')
      .limit(1)
      .executeTakeFirstOrThrow()
    taken.push(r.child_id)
    return r.child_id
  }
  /** An entry as an agency's system sends it: `at` is the instant it occurred; recorded now (the fake clock). */
  const entry = (childId: string, type: string, category: string | null, agency: string, at: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(at), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
  const record = async (...entries: (ReturnType<typeof entry> & { agency_record_id?: string })[]) => {
    await db().insertInto('entry').values(entries).execute()
    return entries.map((e) => e.id).sort()
  }
  const signals = async (childId: string, rule: string) => (await db().selectFrom('risk_signal').select('entry_ids').where('child_id', '=', childId).where('rule_code', '=', rule).execute()).map((s) => [...s.entry_ids].sort()).sort()
  const evaluate = async () => {
    ctx.s.clock.advance(60_000)
    await system().evaluateSignals()
  }

  it('within 14 days across the late-October clock change and across midnight: the dates in England count, not the hours elapsed', async () => {
    await system().evaluateSignals() // the demo data's own signals first
    ctx.s.clock.advance(60_000)
    // 00:10 BST on Monday 12 October (23:10 UTC on the 11th) and 23:50 GMT on Sunday 25 October, the day the clocks
    // went back: day 1 and day 14, so within 14 days, though 14 days and 40 minutes have elapsed
    const across = await blankChild()
    const acrossIds = await record(entry(across, 'notice', 'domestic_abuse', 'police', '2026-10-12T00:10:00+01:00'), entry(across, 'health_attendance', null, 'health', '2026-10-25T23:50:00Z'))
    // the same notice and an attendance five minutes after midnight on the 26th: day 15, outside
    const after = await blankChild()
    await record(entry(after, 'notice', 'domestic_abuse', 'police', '2026-10-12T00:10:00+01:00'), entry(after, 'health_attendance', null, 'health', '2026-10-26T00:05:00Z'))
    // a minute before midnight on 1 November and a minute after midnight on the 15th: 13 days and 2 minutes elapsed,
    // but the 1st and the 15th are 15 calendar days: outside
    const midnight = await blankChild()
    await record(entry(midnight, 'notice', 'domestic_abuse', 'police', '2026-11-01T23:59:00Z'), entry(midnight, 'health_attendance', null, 'health', '2026-11-15T00:01:00Z'))
    // and a minute after midnight on the 2nd with a minute before midnight on the 15th: day 1 and day 14, inside
    const inside = await blankChild()
    const insideIds = await record(entry(inside, 'notice', 'domestic_abuse', 'police', '2026-11-02T00:01:00Z'), entry(inside, 'health_attendance', null, 'health', '2026-11-15T23:59:00Z'))
    await evaluate()
    assert.deepEqual(await signals(across, 'domestic_abuse_and_health'), [acrossIds], '12 and 25 October: within 14 days')
    assert.deepEqual(await signals(after, 'domestic_abuse_and_health'), [], '12 and 26 October: 15 days')
    assert.deepEqual(await signals(midnight, 'domestic_abuse_and_health'), [], '1 and 15 November: 15 days')
    assert.deepEqual(await signals(inside, 'domestic_abuse_and_health'), [insideIds], '2 and 15 November: 14 days')
  })

  it('a late import fires on the pattern it completes however long ago it occurred, beside a later signal of the same rule, and once only', async () => {
    // recorded at the time: a domestic-abuse notice and an A&E attendance in November (they fire), and an A&E
    // attendance on 2 September with nothing beside it
    const child = await blankChild()
    const recent = await record(entry(child, 'notice', 'domestic_abuse', 'police', '2026-11-15T12:00:00Z'), entry(child, 'health_attendance', null, 'health', '2026-11-18T12:00:00Z'))
    const [september] = await record(entry(child, 'health_attendance', null, 'health', '2026-09-02T10:00:00Z'))
    // two school concerns in September, for another child
    const other = await blankChild()
    const concerns = await record(entry(other, 'concern', 'neglect', 'brookside', '2026-09-01T09:00:00Z'), entry(other, 'concern', 'neglect', 'brookside', '2026-09-10T09:00:00Z'))
    await evaluate()
    assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [recent])
    assert.deepEqual(await signals(other, 'multi_agency_concerns'), [])

    // in January, the police load their incidents from the summer: long before twice the longest window (60 days)
    ctx.s.clock.set('2027-01-20T09:00:00Z')
    const [incident] = await record(entry(child, 'police_incident', 'domestic_abuse', 'police', '2026-08-25T21:00:00Z'))
    const [found] = await record(entry(other, 'police_incident', null, 'police', '2026-09-20T23:30:00Z'))
    await evaluate()
    assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [recent, [incident!, september!].sort()].sort(), 'the August incident and the September attendance: 9 days')
    assert.deepEqual(await signals(other, 'multi_agency_concerns'), [[...concerns, found!].sort()], 'two school concerns and a police incident within 30 days')

    // the next runs — the first still looks again at entries recorded just before the last (a late commit) — fire
    // nothing again for the same entries
    await evaluate()
    ctx.s.clock.advance(30 * 60_000)
    await evaluate()
    assert.equal((await signals(child, 'domestic_abuse_and_health')).length, 2)
    assert.equal((await signals(other, 'multi_agency_concerns')).length, 1)
    // another late entry in the same weeks that completes nothing: still nothing new
    await record(entry(child, 'concern', 'neglect', 'brookside', '2026-08-27T09:00:00Z'))
    await evaluate()
    assert.equal((await signals(child, 'domestic_abuse_and_health')).length, 2)
  })

  it('one late import that completes two patterns months apart fires both in the same run, each once', async () => {
    ctx.s.clock.set('2027-02-01T09:00:00Z')
    await evaluate()
    const child = await blankChild()
    // the police and the hospital load last year's records at once: a notice and an attendance in March, and again in
    // October; each pair is within 14 days, the two pairs are months apart
    const march = await record(entry(child, 'notice', 'domestic_abuse', 'police', '2026-03-02T20:00:00Z'), entry(child, 'health_attendance', null, 'health', '2026-03-06T10:00:00Z'))
    const october = await record(entry(child, 'notice', 'domestic_abuse', 'police', '2026-10-02T20:00:00Z'), entry(child, 'health_attendance', null, 'health', '2026-10-09T10:00:00Z'))
    await evaluate()
    assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [march, october].sort(), 'both, in the run that first saw them')
    // the runs in the commit grace that follow fire neither again
    for (let i = 0; i < 3; i++) {
      ctx.s.clock.advance(2 * 60_000)
      await system().evaluateSignals()
    }
    assert.equal((await signals(child, 'domestic_abuse_and_health')).length, 2)
  })

  it('one import of a notice and an attendance fires one signal naming both, whatever older entries lie between or around them', async () => {
    ctx.s.clock.set('2027-02-01T09:00:00Z')
    await evaluate()
    for (const [older, label] of [
      [[entry('', 'notice', 'domestic_abuse', 'police', '2026-10-13T10:00:00Z')], 'a notice recorded earlier, between them, that fired nothing'],
      [[entry('', 'health_attendance', null, 'health', '2026-10-16T10:00:00Z')], 'an attendance recorded earlier, after them'],
    ] as const) {
      const child = await blankChild()
      await record(...older.map((o) => ({ ...o, id: randomUUID(), child_id: child, recorded_at: ctx.s.clock.now() })))
      await evaluate()
      // (an attendance alone or a notice alone fires nothing)
      assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [], label)
      // the import comes later than the commit grace (an entry recorded in it is looked at again as new)
      ctx.s.clock.advance(15 * 60_000)
      await evaluate()
      const imported = await record(entry(child, 'notice', 'domestic_abuse', 'police', '2026-10-10T10:00:00Z'), entry(child, 'health_attendance', null, 'health', '2026-10-14T10:00:00Z'))
      await evaluate()
      ctx.s.clock.advance(2 * 60_000)
      await system().evaluateSignals()
      assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [imported], label)
    }
  })

  it('within 30 days across the late-March clock change: 1 and 30 March are, 1 and 31 March are not, whatever the times', async () => {
    ctx.s.clock.set('2027-04-02T09:00:00Z')
    // the clocks went forward at 01:00 UTC on Sunday 28 March 2027
    const inside = await blankChild()
    const insideIds = await record(
      entry(inside, 'missing_episode', null, 'police', '2027-03-01T00:30:00Z'),
      entry(inside, 'missing_episode', null, 'police', '2027-03-15T12:00:00Z'),
      // 23:30 BST on the 30th
      entry(inside, 'missing_episode', null, 'police', '2027-03-30T22:30:00Z'),
    )
    const outside = await blankChild()
    await record(
      entry(outside, 'missing_episode', null, 'police', '2027-03-01T23:30:00Z'),
      entry(outside, 'missing_episode', null, 'police', '2027-03-15T12:00:00Z'),
      // 00:30 BST on the 31st (still the 30th in UTC): 29 days elapsed, but the 31st is the 31st day
      entry(outside, 'missing_episode', null, 'police', '2027-03-30T23:30:00Z'),
    )
    await evaluate()
    assert.deepEqual(await signals(inside, 'repeat_missing'), [insideIds], '1 to 30 March: within 30 days')
    assert.deepEqual(await signals(outside, 'repeat_missing'), [], '1 to 31 March: 31 days')
  })

  it('one late import fires once, however often the evaluation runs while its entries are new; an entry already named fires no older set beside it', async () => {
    await evaluate()
    const child = await blankChild()
    // two missing episodes recorded long ago (past the commit grace of the runs that follow)
    await record(entry(child, 'missing_episode', null, 'police', '2026-09-01T12:00:00Z'), entry(child, 'missing_episode', null, 'police', '2026-09-10T12:00:00Z'))
    await evaluate()
    ctx.s.clock.advance(20 * 60_000)
    await evaluate()
    assert.deepEqual(await signals(child, 'repeat_missing'), [], 'two episodes: nothing')
    // one import of three more: the most recent set fires (10 September to 8 October, within 30 days)
    const imported = await record(entry(child, 'missing_episode', null, 'police', '2026-09-20T12:00:00Z'), entry(child, 'missing_episode', null, 'police', '2026-10-05T12:00:00Z'), entry(child, 'missing_episode', null, 'police', '2026-10-08T12:00:00Z'))
    await evaluate()
    const first = await signals(child, 'repeat_missing')
    assert.equal(first.length, 1)
    assert.ok(imported.every((i) => first[0]!.includes(i)))
    // the runs of the next ten minutes look at the imported entries again (the commit grace): the older set they are
    // in (1, 10 and 20 September) must not fire beside the signal that already named them
    for (let i = 0; i < 4; i++) {
      ctx.s.clock.advance(30_000)
      await system().evaluateSignals()
    }
    assert.deepEqual(await signals(child, 'repeat_missing'), first)
  })

  it('entries that came to a child by a link, recorded earlier, are judged as new at the next evaluation (the re-check a move lists), once', async () => {
    await evaluate()
    const child = await blankChild()
    const held = await blankChild()
    // a police notice on a record held back for review (another child for now), and the child's own attendance
    const recordId = randomUUID()
    await db().insertInto('agency_record').values({ id: recordId, partnership_id: P, agency_id: id('agency:police'), source_ref: `HELD-${recordId}`, given_name: 'Held', family_name: 'Back', date_of_birth: '2015-05-05', sex: 'female', nhs_number: null, upn: null, postcode: null, address: null, child_id: held, match_state: 'review', match_probability: null, match_explanation: null, review_child_id: child, created_at: ctx.s.clock.now(), updated_at: ctx.s.clock.now() }).execute()
    const daysAgo = (n: number) => new Date(ctx.s.clock.now().getTime() - n * 86_400_000).toISOString()
    const [notice] = await record({ ...entry(held, 'notice', 'domestic_abuse', 'police', daysAgo(12)), agency_record_id: recordId })
    const [attendance] = await record(entry(child, 'health_attendance', null, 'health', daysAgo(9)))
    await evaluate()
    ctx.s.clock.advance(20 * 60_000)
    await evaluate()
    assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [])
    // the record is linked to the child: its entry moves, keeping when it was recorded, and the child is listed for
    // a re-check with the entry it brought (as moveRecord does)
    await db().updateTable('entry').set({ child_id: child }).where('agency_record_id', '=', recordId).execute()
    await db().insertInto('signal_recheck').values({ partnership_id: P, child_id: child, entry_ids: [notice!], queued_at: ctx.s.clock.now() }).execute()
    await evaluate()
    assert.deepEqual(await signals(child, 'domestic_abuse_and_health'), [[attendance!, notice!].sort()])
    assert.equal((await db().selectFrom('signal_recheck').select('child_id').where('child_id', '=', child).execute()).length, 0)
    // the child's next entry, of no rule's kind, fires nothing more
    await record(entry(child, 'note', null, 'health', daysAgo(1)))
    await evaluate()
    assert.equal((await signals(child, 'domestic_abuse_and_health')).length, 1)
  })
})
