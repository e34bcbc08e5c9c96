// Meetings at their edges (found by review): a version no row can have is the form's error, not a 500; a meeting whose
// decisions or actions show it took place cannot be moved; a decision or an invitation sent twice from one rendering
// (a double click, a refresh) is saved once; and the error summary is shown once, by the layout.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf, pupilOf, PARTNERSHIP } from '../../../test/support/tac.ts'

describeApp('meetings at their edges', (ctx) => {
  let tacId: string
  let meetingId: string
  const db = () => ctx.s.t.db
  const meetingUrl = () => `/teams/${tacId}/meetings/${meetingId}`
  const summaries = (body: string) => (body.match(/class="govuk-error-summary"/g) ?? []).length
  const formKeyOf = (body: string, action: string) => new RegExp(`action="[^"]*/${action}"[^>]*>[\\s\\S]*?name="formKey" value="([^"]+)"`).exec(body)?.[1]

  it('setup: a team around the child with an outcome, and a meeting at 10:00 on 30 November', async () => {
    ctx.s.clock.set('2026-11-23T10:00:00Z')
    const childIds = [await pupilOf(db(), 'brookside', 0)]
    tacId = await makeTac(db(), { childIds, lead: 'sw.north', members: ['nurse'] })
    await db().insertInto('plan_outcome').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: tacId, child_id: null, body: 'Attends school every day', measure: 'scale', measure_name: null, sort: 1, created_at: ctx.s.clock.now() }).execute()
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/meetings/new`)
    const res = await sw.post(`/teams/${tacId}/meetings`, { kind: 'team', title: 'Team meeting', date: '2026-11-30', time: '10:00', mode: 'online', chair: membershipOf('sw.north'), invite: [membershipOf('nurse')] })
    assert.equal(res.statusCode, 303, res.body.slice(0, 300))
    meetingId = /meetings\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
  })

  it('a version no row can have (past a PostgreSQL integer, or not a whole number) is “reload the page”, shown once; nothing moves', async () => {
    const sw = await ctx.s.signIn('sw.north')
    await sw.get(meetingUrl())
    const before = await db().selectFrom('meeting').select(['scheduled_at', 'row_version']).where('id', '=', meetingId).executeTakeFirstOrThrow()
    for (const rowVersion of ['3000000000', '1.5', 'x']) {
      const res = await sw.post(`${meetingUrl()}/reschedule`, { rowVersion, newDate: '2026-12-10', newTime: '10:00', newMode: 'online', newPlace: '', moveReason: 'The chair is away' })
      assert.equal(res.statusCode, 400, rowVersion)
      assert.match(res.body, /Reload the page and try again/, rowVersion)
      assert.equal(summaries(res.body), 1, `one error summary (${rowVersion})`)
    }
    assert.deepEqual(await db().selectFrom('meeting').select(['scheduled_at', 'row_version']).where('id', '=', meetingId).executeTakeFirstOrThrow(), before)
    // the "Arrange a meeting" page's errors, once too
    const bad = await sw.post(`/teams/${tacId}/meetings`, { kind: 'team', title: 'Another', date: 'x', time: '10:00', mode: 'online', chair: membershipOf('sw.north') })
    assert.equal(bad.statusCode, 400)
    assert.equal(summaries(bad.body), 1)
  })

  it('once it has started: a decision and an invitation sent twice from one rendering are saved once', async () => {
    ctx.s.clock.set('2026-11-30T10:05:00Z')
    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(meetingUrl())
    for (const [action, form, count] of [
      ['decisions', { decision: 'Refer to CAMHS' }, () => db().selectFrom('meeting_decision').select('id').where('meeting_id', '=', meetingId).execute()],
      ['invitees', { inviteName: 'Gran', inviteRole: 'Grandmother' }, () => db().selectFrom('meeting_invitee').select('id').where('meeting_id', '=', meetingId).where('name', '=', 'Gran').execute()],
    ] as const) {
      const formKey = formKeyOf(page.body, action)
      assert.ok(formKey, `the ${action} form carries the page’s form key`)
      const first = await sw.post(`${meetingUrl()}/${action}`, { ...form, formKey })
      const again = await sw.post(`${meetingUrl()}/${action}`, { ...form, formKey })
      assert.deepEqual([first.statusCode, again.statusCode, again.headers.location], [303, 303, first.headers.location], action)
      assert.equal((await count()).length, 1, action)
    }
    const empty = await sw.post(`${meetingUrl()}/decisions`, { decision: '' })
    assert.equal(empty.statusCode, 400)
    assert.equal(summaries(empty.body), 1)
  })

  it('a meeting whose decisions show it took place is not offered to be moved, and a move sent anyway is refused; nothing moves', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const page = await sw.get(meetingUrl())
    assert.doesNotMatch(page.body, /action="[^"]*\/reschedule"/)
    const m = await db().selectFrom('meeting').select(['scheduled_at', 'row_version']).where('id', '=', meetingId).executeTakeFirstOrThrow()
    const res = await sw.post(`${meetingUrl()}/reschedule`, { rowVersion: String(m.row_version), newDate: '2026-12-10', newTime: '10:00', newMode: 'online', newPlace: '', moveReason: 'Moving it on' })
    assert.ok(res.statusCode === 400 || res.statusCode === 409, String(res.statusCode))
    assert.match(res.body, /Decisions or actions have been recorded for this meeting, so it took place/)
    assert.equal(summaries(res.body), 1)
    assert.deepEqual((await db().selectFrom('meeting').select('scheduled_at').where('id', '=', meetingId).executeTakeFirstOrThrow()).scheduled_at, m.scheduled_at)
  })
})
