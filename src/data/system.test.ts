import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../test/support/app.ts'
import { stableUuid } from './ids.ts'
import { systemRepository } from './system.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('the system repository: escalation of overdue clocks, the outbox, leases', (ctx) => {
  it('an undecided referral past R1 becomes overdue and is escalated to the front door’s manager, audited as the system', async () => {
    const childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const dsl = await ctx.s.signIn('dsl.brookside')
    const form = await dsl.get(`/referrals/new?child=${childId}`)
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!
    assert.equal((await dsl.post('/referrals', { idempotencyKey: key, children: [childId], kind: 'referral', reason: 'Worried', levelBelieved: '3', levelReason: 'Neglect', parentsKnow: 'yes', urgency: 'routine' })).statusCode, 303)
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'test')
    assert.equal(await system.escalateOverdueClocks(), 0)
    ctx.s.clock.set('2026-11-24T17:01:00Z')
    assert.equal(await system.escalateOverdueClocks(), 1)
    const clock = await ctx.s.t.db.selectFrom('clock').selectAll().where('rule', '=', 'R1').executeTakeFirstOrThrow()
    assert.equal(clock.state, 'overdue')
    const note = await ctx.s.t.db.selectFrom('notification').select('membership_id').where('kind', '=', 'clock.overdue').execute()
    assert.deepEqual(note.map((n) => n.membership_id), [id('membership:manager.frontdoor:0')])
    const audit = await ctx.s.t.db.selectFrom('audit_event').selectAll().where('action', '=', 'clock.escalate').executeTakeFirstOrThrow()
    assert.equal(audit.actor_kind, 'system')
    assert.deepEqual(audit.child_ids, [childId])
    // deciding late needs a reason (the front door is told why it matters)
    ctx.s.clock.set('2026-11-25T10:00:00Z')
    const fd = await ctx.s.signIn('frontdoor')
    const ref = await ctx.s.t.db.selectFrom('referral').select('id').where('child_id', '=', childId).executeTakeFirstOrThrow()
    await fd.get(`/front-door/referrals/${ref.id}`)
    const late = await fd.post(`/front-door/referrals/${ref.id}/decision`, { decision: 'early_help', levelFound: '3', rationale: 'Early help with the school as lead.' })
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /record the reason it is late/)
    assert.equal((await fd.post(`/front-door/referrals/${ref.id}/decision`, { decision: 'early_help', levelFound: '3', rationale: 'Early help with the school as lead.', lateReason: 'Two immediate referrals took the team all of Tuesday.' })).statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('clock').select(['state', 'reason']).where('id', '=', clock.id).executeTakeFirstOrThrow()).state, 'met_late')
  })

  it('the outbox is delivered once, and holds no names', async () => {
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'test')
    const sent: { to: string; body: string }[] = []
    const n = await system.takeOutbox(1000, async (m) => {
      sent.push(m)
    })
    assert.ok(n > 0)
    assert.equal(await system.takeOutbox(1000, async () => undefined), 0)
    const names = await ctx.s.t.db.selectFrom('child').select('family_name').execute()
    for (const m of sent) assert.ok(!names.some((c) => m.body.includes(c.family_name)))
  })

  it('API idempotency keys past their 24 hours are purged; live ones stay', async () => {
    const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'test')
    const now = ctx.s.clock.now()
    const practitioner = await ctx.s.t.db.selectFrom('practitioner').select('id').executeTakeFirstOrThrow()
    const row = (key: string, expires: Date) => ({ partnership_id: stableUuid('partnership:northshire'), practitioner_id: practitioner.id, key, method: 'POST', path: '/api/v1/concerns', request_hash: 'h', state: 'done' as const, status_code: 201, response: '{}', content_type: 'application/json', created_at: now, expires_at: expires })
    const old = `old-${randomUUID()}`
    const live = `live-${randomUUID()}`
    await ctx.s.t.db.insertInto('idempotency_key').values([row(old, new Date(now.getTime() - 1000)), row(live, new Date(now.getTime() + 3_600_000))]).execute()
    assert.ok((await system.purgeExpiredIdempotencyKeys()) >= 1)
    const left = await ctx.s.t.db.selectFrom('idempotency_key').select('key').where('key', 'in', [old, live]).execute()
    assert.deepEqual(left.map((k) => k.key), [live])
  })

  it('one job instance at a time: a second holder does not get the lease until it expires', async () => {
    const a = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'a')
    const b = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'b')
    const name = `lease-${randomUUID()}`
    assert.equal(await a.takeLease(name, 10_000), true)
    assert.equal(await b.takeLease(name, 10_000), false)
    assert.equal(await a.takeLease(name, 10_000), true)
    ctx.s.clock.advance(11_000)
    assert.equal(await b.takeLease(name, 10_000), true)
  })
})
