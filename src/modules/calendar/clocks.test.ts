import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { FieldRefusedError } from '../../data/unit-of-work.ts'
import { clockPort } from './clocks.ts'

// Monday 23 November 2026, 10:00 London: R1 (one working day) is due Tuesday 17:00.
describeApp('clocks.meet: a step that meets a clock late needs the reason, refused on its late-reason field', (ctx) => {
  const monday = new Date('2026-11-23T10:00:00Z')
  const tuesday = new Date('2026-11-24T12:00:00Z')
  const wednesday = new Date('2026-11-25T10:00:00Z')
  let partnershipId: string

  /** A running R1 clock for a new subject, committed. */
  async function running(): Promise<string> {
    partnershipId ??= (await ctx.s.t.db.selectFrom('partnership').select('id').executeTakeFirstOrThrow()).id
    const subjectId = randomUUID()
    await ctx.s.t.db.transaction().execute((trx) => clockPort.start(trx, { partnershipId, rule: 'R1', childId: null, subjectType: 'referral', subjectId, startedAt: monday }))
    return subjectId
  }
  const clock = (subjectId: string) => ctx.s.t.db.selectFrom('clock').select(['state', 'reason', 'met_at']).where('subject_id', '=', subjectId).executeTakeFirstOrThrow()
  const meet = (subjectId: string, at: Date, reason?: string | null, lateMessage?: string) => ctx.s.t.db.transaction().execute((trx) => clockPort.meet(trx, partnershipId, 'referral', subjectId, at, reason, lateMessage))

  it('late without a reason: a field refusal on lateReason, in the clock rule’s words or the step’s own; the clock is left running', async () => {
    const subjectId = await running()
    await assert.rejects(meet(subjectId, wednesday, null), (err) => {
      assert.ok(err instanceof FieldRefusedError, String(err))
      assert.equal(err.field, 'lateReason')
      assert.equal(err.message, 'Front door decision (1 working day): the timescale was missed — record the reason it is late')
      return true
    })
    await assert.rejects(meet(subjectId, wednesday, '', 'The decision is later than its one working day: record the reason it is late'), (err) => err instanceof FieldRefusedError && err.field === 'lateReason' && err.message === 'The decision is later than its one working day: record the reason it is late')
    assert.deepEqual(await clock(subjectId), { state: 'running', reason: null, met_at: null })
  })

  it('late with the reason: met late, the reason kept; on time: met, no reason needed', async () => {
    const late = await running()
    await meet(late, wednesday, 'Two staff off sick on Tuesday.')
    assert.deepEqual(await clock(late), { state: 'met_late', reason: 'Two staff off sick on Tuesday.', met_at: wednesday })
    const onTime = await running()
    await meet(onTime, tuesday, null)
    assert.deepEqual(await clock(onTime), { state: 'met', reason: null, met_at: tuesday })
  })
}, { children: 1 })
