import assert from 'node:assert/strict'
import { it } from 'node:test'
import { sql } from 'kysely'
import { describeEachEngine } from '../../../test/support/db.ts'
import { FakeClock } from '../../platform/clock.ts'
import { dataAccess } from '../index.ts'
import { seedDemo } from '../seed.ts'
import { stableUuid } from '../ids.ts'
import type { Actor } from '../actor.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeEachEngine('entries: the chronology spine', (ctx) => {
  const clock = new FakeClock('2026-11-23T10:00:00Z')
  let dsl: Actor
  let teacher: Actor
  let childId: string

  it('seeds', async () => {
    await seedDemo(ctx.t.db, { children: 60 })
    const row = await ctx.t.db
      .selectFrom('relationship')
      .select('child_id')
      .where('type', '=', 'pupil_at')
      .where('holder_agency_id', '=', id('agency:brookside'))
      .limit(1)
      .executeTakeFirstOrThrow()
    childId = row.child_id
    const base = { kind: 'practitioner' as const, partnershipId: stableUuid('partnership:northshire'), requestId: 'test' }
    dsl = { ...base, practitionerId: id('practitioner:dsl.brookside'), membershipId: id('membership:dsl.brookside:0'), agencyId: id('agency:brookside'), teamId: id('team:brookside:safeguarding'), role: 'dsl' }
    teacher = { ...base, practitionerId: id('practitioner:teacher.brookside'), membershipId: id('membership:teacher.brookside:0'), agencyId: id('agency:brookside'), teamId: null, role: 'teacher' }
  })

  it('writes an entry and its audit row in one transaction; a correction supersedes and both are kept', async () => {
    const data = dataAccess(ctx.t.database, clock)
    const before = await countAudit()
    const e1 = await data.forActor(teacher).entries.create(childId, { type: 'concern', category: 'neglect', occurredAt: new Date('2026-11-22T09:00:00Z'), significance: 'medium', summary: 'Came to school hungry', visibility: 'agency' })
    assert.ok(e1)
    assert.equal(await countAudit(), before + 1)
    const e2 = await data.forActor(teacher).entries.create(childId, { type: 'concern', category: 'neglect', occurredAt: new Date('2026-11-22T09:00:00Z'), significance: 'medium', summary: 'Came to school hungry and without a coat', visibility: 'agency', supersedesEntryId: e1.id })
    assert.ok(e2)
    const page = await data.forActor(dsl).entries.forChild(childId)
    const ids = page!.entries.map((e) => e.id)
    assert.ok(ids.includes(e1.id) && ids.includes(e2.id))
    assert.equal(page!.entries.find((e) => e.id === e1.id)!.supersededBy, e2.id)
  })

  it('entries are immutable, even for the application role', async () => {
    await assert.rejects(sql`update entry set summary = 'changed'`.execute(ctx.t.db))
    await assert.rejects(sql`delete from entry`.execute(ctx.t.db))
  })

  it('a teacher sees their own concern but not the DSL’s agency entries', async () => {
    const data = dataAccess(ctx.t.database, clock)
    const mine = await data.forActor(teacher).entries.create(childId, { type: 'concern', occurredAt: clock.now(), significance: 'low', summary: 'Teacher concern' })
    const dsls = await data.forActor(dsl).entries.create(childId, { type: 'dsl_action', occurredAt: clock.now(), significance: 'low', summary: 'DSL note', visibility: 'agency' })
    const seen = (await data.forActor(teacher).entries.forChild(childId))!.entries.map((e) => e.id)
    assert.ok(seen.includes(mine!.id))
    assert.ok(!seen.includes(dsls!.id))
  })

  it('out of reach is not found, and audited as such', async () => {
    const data = dataAccess(ctx.t.database, clock)
    const other = await ctx.t.db
      .selectFrom('child')
      .select('id')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('relationship').select('id').whereRef('relationship.child_id', '=', 'child.id').where('holder_agency_id', '=', id('agency:brookside')))))
      .limit(1)
      .executeTakeFirstOrThrow()
    assert.equal(await data.forActor(teacher).children.summary(other.id), null)
    assert.equal(await data.forActor(teacher).entries.forChild(other.id), null)
    assert.equal(await data.forActor(teacher).entries.create(other.id, { type: 'concern', occurredAt: clock.now(), significance: 'low', summary: 'x' }), null)
    const last = await ctx.t.db.selectFrom('audit_event').select(['action', 'outcome']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.deepEqual(last, { action: 'entry.create', outcome: 'not_found' })
  })

  it('a failure rolls back the write and its audit row, and is audited in its own transaction', async () => {
    const data = dataAccess(ctx.t.database, clock)
    const before = await countAudit()
    const entriesBefore = await countEntries()
    await assert.rejects(
      data.forActor(teacher).entries.create(childId, { type: 'concern', occurredAt: clock.now(), significance: 'bogus' as never, summary: 'bad significance' }),
    )
    assert.equal(await countEntries(), entriesBefore)
    assert.equal(await countAudit(), before + 1)
    const last = await ctx.t.db.selectFrom('audit_event').select(['action', 'outcome']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.deepEqual(last, { action: 'entry.create', outcome: 'failure' })
  })

  async function countAudit() {
    const r = await ctx.t.db.selectFrom('audit_event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }
  async function countEntries() {
    const r = await ctx.t.db.selectFrom('entry').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  }
})
