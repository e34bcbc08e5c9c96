import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { disablePractitionerOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')

describeApp('risk signals when strands combine', (ctx) => {
  it('a domestic abuse notice and a health attendance 10 days apart fire a signal naming both, routed to the allocated worker', async () => {
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals() // the demo data's own signals first
    const childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()).child_id
    const before = await ctx.s.t.db.selectFrom('risk_signal').select('id').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
    const notice = mk('notice', 'domestic_abuse', 'police', '2026-11-10')
    const health = mk('health_attendance', 'physical_abuse', 'health', '2026-11-20')
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.insertInto('entry').values([{ ...notice, recorded_at: ctx.s.clock.now() }, { ...health, recorded_at: ctx.s.clock.now() }]).execute()
    ctx.s.clock.advance(60_000)
    assert.ok((await system.evaluateSignals()) >= 1)
    const fired = await ctx.s.t.db.selectFrom('risk_signal').selectAll().where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()
    assert.equal(fired.length, before.length + 1)
    const s = fired.find((f) => f.entry_ids.includes(notice.id))!
    assert.deepEqual([...s.entry_ids].sort(), [notice.id, health.id].sort())
    assert.ok(s.routed_to.includes(id('membership:sw.north:0')))
    // not fired again for the same entries
    ctx.s.clock.advance(60_000)
    await ctx.s.t.db.insertInto('entry').values(mk('concern', 'neglect', 'brookside', '2026-11-21')).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    assert.equal((await ctx.s.t.db.selectFrom('risk_signal').select('id').where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).length, before.length + 1)

    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(`/signals/${s.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /A domestic abuse notice and a health attendance within 14 days/)
    assert.equal((await sw.post(`/signals/${s.id}/acknowledge`, { response: '' })).statusCode, 400)
    assert.equal((await sw.post(`/signals/${s.id}/acknowledge`, { response: 'Joint visit with police booked for Wednesday; GP asked for the attendance notes.' })).statusCode, 303)
    const ack = await ctx.s.t.db.selectFrom('risk_signal').select(['acknowledged_at', 'response']).where('id', '=', s.id).executeTakeFirstOrThrow()
    assert.ok(ack.acknowledged_at)
    // someone the signal was not routed to cannot see it
    const dsl = await ctx.s.signIn('dsl.academy')
    assert.equal((await dsl.get(`/signals/${s.id}`)).statusCode, 404)
  })

  it('a signal whose allocated worker is disabled goes to the front door’s current members, not to the disabled account', async () => {
    const db = ctx.s.t.db
    const system = systemRepository({ db, clock: ctx.s.clock }, 'signals-test')
    await system.evaluateSignals()
    const worker = id('membership:sw.south:0')
    // a child whose only allocated worker is sw.south
    const allocated = await db.selectFrom('relationship').select(['child_id', 'holder_membership_id']).where('type', '=', 'allocated_worker').where('ends_at', 'is', null).execute()
    const childId = allocated.find((a) => a.holder_membership_id === worker && allocated.filter((b) => b.child_id === a.child_id).length === 1)!.child_id
    await disablePractitionerOf(db, worker, ctx.s.clock.now())
    await disablePractitionerOf(db, id('membership:frontdoor2:0'), ctx.s.clock.now())
    ctx.s.clock.advance(60_000)
    const mk = (type: string, category: string | null, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const })
    const notice = mk('notice', 'domestic_abuse', 'police', '2026-11-11')
    await db.insertInto('entry').values([notice, mk('health_attendance', 'physical_abuse', 'health', '2026-11-19')]).execute()
    ctx.s.clock.advance(60_000)
    await system.evaluateSignals()
    const s = (await db.selectFrom('risk_signal').selectAll().where('child_id', '=', childId).where('rule_code', '=', 'domestic_abuse_and_health').execute()).find((f) => f.entry_ids.includes(notice.id))!
    assert.ok(s, 'the signal fired')
    assert.ok(!s.routed_to.includes(worker), 'not to the disabled allocated worker')
    assert.ok(!s.routed_to.includes(id('membership:frontdoor2:0')), 'not to a disabled front-door worker')
    assert.ok(s.routed_to.includes(id('membership:frontdoor:0')), 'to the front door')
    const told = await db.selectFrom('notification').select('membership_id').where('subject_id', '=', s.id).execute()
    assert.deepEqual(new Set(told.map((t) => t.membership_id)), new Set(s.routed_to))
    // the front door holds a reason to see the child while the signal is open
    assert.ok(await db.selectFrom('relationship').select('id').where('child_id', '=', childId).where('type', '=', 'front_door_contact').where('source', '=', `signal ${s.id}`).executeTakeFirst())
  })
})
