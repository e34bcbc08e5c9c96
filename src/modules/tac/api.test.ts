// The read-only JSON API of the team around the child, its meetings and its joint plan: the shape an integrating
// system reads, the same access as the pages (out of reach = the same 404 problem+json as a record that does not
// exist, bad ids included), and an audit row for every read.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { makeTac, membershipOf, pupilOf, PARTNERSHIP } from '../../../test/support/tac.ts'

type Json = Record<string, unknown>

// Monday 23 November 2026, 10:00 London (the test clock)
describeApp('the JSON API of the team around the child, its meetings and its plan', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string
  let sibling: string
  let tacId: string
  let heldId: string
  let notHeldId: string
  let upcomingId: string
  let otherTeamMeetingId: string
  let outcomeId: string

  /** A GET as an integration makes it: the signed-in session (as api.test.ts), JSON back. */
  async function get(agent: Agent, url: string) {
    const res = await agent.get(url)
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.body, json: () => res.json() as Json }
  }

  /** The audit rows of an action naming a child (or an entity), newest first. */
  const audits = (action: string) => db().selectFrom('audit_event').select(['action', 'outcome', 'entity_id', 'child_ids', 'actor_membership_id']).where('action', '=', action).orderBy('id', 'desc').execute()

  /** A 404 problem+json, the same whether the record is out of reach, absent or named by a bad id. */
  async function assertNotFound(agent: Agent, url: string) {
    const res = await get(agent, url)
    assert.equal(res.status, 404, `${url}: ${res.body.slice(0, 200)}`)
    assert.match(res.type, /application\/problem\+json/, url)
    const p = res.json()
    assert.equal(p.status, 404)
    return { title: p.title, status: p.status, detail: p.detail }
  }

  it('setup: a team around two brookside pupils with members, an invitation, meetings, decisions and a plan', async () => {
    childId = await pupilOf(db(), 'brookside', 0)
    sibling = await pupilOf(db(), 'brookside', 1)
    const at = new Date('2026-11-02T10:00:00Z')
    tacId = await makeTac(db(), { childIds: [childId, sibling], lead: 'sw.north', members: ['nurse'], at })
    await db().updateTable('tac_member').set({ duties: 'Health checks every term' }).where('tac_id', '=', tacId).where('membership_id', '=', membershipOf('nurse')).execute()
    await db().insertInto('tac_member').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: tacId, membership_id: membershipOf('police.missing'), team_role: 'Missing episodes', duties: '', status: 'invited', invited_by: membershipOf('sw.north'), invited_at: new Date('2026-11-10T10:00:00Z'), joined_at: null }).execute()
    // a member who left is no longer in the team
    await db().insertInto('tac_member').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: tacId, membership_id: membershipOf('gp'), team_role: 'GP', duties: '', status: 'left', invited_by: membershipOf('sw.north'), invited_at: at, joined_at: at, left_at: new Date('2026-11-05T10:00:00Z'), left_reason: 'Moved practice' }).execute()

    const meeting = (id: string, v: { scheduledAt: string; status: 'scheduled' | 'held' | 'cancelled'; cancelledAt?: string; minutes?: string; minutesStatus?: 'none' | 'draft' | 'approved'; tac?: string }) =>
      db()
        .insertInto('meeting')
        .values({
          id,
          partnership_id: PARTNERSHIP,
          tac_id: v.tac ?? tacId,
          kind: 'team',
          title: 'Team meeting',
          scheduled_at: new Date(v.scheduledAt),
          mode: 'in_person',
          place: 'Brookside Primary, room 2',
          agenda: 'The plan',
          chair_membership_id: membershipOf('sw.north'),
          status: v.status,
          held_at: v.status === 'held' ? new Date(v.scheduledAt) : null,
          cancelled_at: v.cancelledAt ? new Date(v.cancelledAt) : null,
          minutes: v.minutes ?? '',
          minutes_status: v.minutesStatus ?? 'none',
          minutes_approved_at: v.minutesStatus === 'approved' ? new Date('2026-11-20T12:00:00Z') : null,
          minutes_approved_by: v.minutesStatus === 'approved' ? membershipOf('sw.north') : null,
          created_by: membershipOf('sw.north'),
          created_at: at,
        })
        .execute()
    heldId = randomUUID()
    notHeldId = randomUUID()
    upcomingId = randomUUID()
    await meeting(heldId, { scheduledAt: '2026-11-16T10:00:00Z', status: 'held', minutes: 'Attendance is improving.', minutesStatus: 'approved' })
    await meeting(notHeldId, { scheduledAt: '2026-11-19T10:00:00Z', status: 'cancelled', cancelledAt: '2026-11-19T11:00:00Z' })
    await meeting(upcomingId, { scheduledAt: '2026-11-30T10:00:00Z', status: 'scheduled' })
    await db().insertInto('meeting_decision').values({ id: randomUUID(), partnership_id: PARTNERSHIP, meeting_id: heldId, body: 'Keep the plan at early help', recorded_by: membershipOf('sw.north'), recorded_at: new Date('2026-11-16T11:00:00Z') }).execute()
    outcomeId = randomUUID()
    await db().insertInto('plan_outcome').values({ id: outcomeId, partnership_id: PARTNERSHIP, tac_id: tacId, child_id: null, body: 'The children are in school every day, on time', measure: 'named', measure_name: 'attendance above 95%', sort: 1, created_at: at }).execute()
    await db()
      .insertInto('plan_action')
      .values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: tacId, outcome_id: outcomeId, what: 'Morning check-in', owner_membership_id: membershipOf('nurse'), owner_name: 'Claire Dawson', owner_agency: 'Northshire School Nursing', due_on: '2026-12-04', place: 'School office', cost_pence: 12_050, meeting_id: heldId, created_at: at })
      .execute()
    await db().updateTable('tac').set({ plan_version: 3, next_review_on: '2026-12-14' }).where('id', '=', tacId).execute()

    // another team, around a pupil of another school (out of brookside's reach), with a meeting of its own
    const other = await pupilOf(db(), 'academy', 0)
    const otherTac = await makeTac(db(), { childIds: [other], lead: 'dsl.academy', at })
    otherTeamMeetingId = randomUUID()
    await meeting(otherTeamMeetingId, { scheduledAt: '2026-11-17T10:00:00Z', status: 'held', tac: otherTac })
  })

  it('GET /api/v1/children/:childId/team: the open team, its members (roles, duties, lead, since) — audited', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const before = (await audits('tac.team')).length
    const res = await get(sw, `/api/v1/children/${childId}/team`)
    assert.equal(res.status, 200, res.body.slice(0, 300))
    const { data } = res.json() as { data: { childId: string; team: Json & { members: Json[]; lead: Json } } }
    assert.equal(data.childId, childId)
    assert.equal(data.team.id, tacId)
    assert.equal(data.team.level, 'early_help')
    assert.equal(data.team.status, 'open')
    assert.equal((data.team.lead as { name: string }).name, 'Ben Carter')
    const byName = new Map(data.team.members.map((m) => [m.name as string, m]))
    assert.deepEqual([...byName.keys()].sort(), ['Ben Carter', 'Claire Dawson', 'PC Hannah Lee'].sort(), 'current members and the invited; not the one who left')
    const ben = byName.get('Ben Carter')!
    assert.equal(ben.lead, true)
    assert.equal(ben.teamRole, 'Lead practitioner')
    assert.equal(ben.status, 'joined')
    assert.equal(ben.since, '2026-11-02T10:00:00.000Z')
    assert.equal(typeof ben.agency, 'string')
    const claire = byName.get('Claire Dawson')!
    assert.equal(claire.lead, false)
    assert.equal(claire.duties, 'Health checks every term')
    const hannah = byName.get('PC Hannah Lee')!
    assert.equal(hannah.status, 'invited')
    assert.equal(hannah.since, '2026-11-10T10:00:00.000Z')
    assert.ok(!('email' in ben), 'no contact details beyond what the team page shows')
    const rows = await audits('tac.team')
    assert.equal(rows.length, before + 1, 'one audit row for the read')
    assert.equal(rows[0]!.outcome, 'success')
    assert.equal(rows[0]!.actor_membership_id, membershipOf('sw.north'))
    // the answer names the team's children (the sibling too): the audit row names them all, as the team page's does
    assert.deepEqual(rows[0]!.child_ids, [childId, sibling])

    // a viewer through their own work with the child (the school's DSL, not a member) sees it as the team page shows it
    const dsl = await get(await ctx.s.signIn('dsl.brookside'), `/api/v1/children/${childId}/team`)
    assert.equal(dsl.status, 200)
    assert.equal(((dsl.json() as { data: { team: { id: string } } }).data.team).id, tacId)

    // a child in reach with no open team: 200, no team
    const lone = await pupilOf(db(), 'brookside', 2)
    const none = await get(sw, `/api/v1/children/${lone}/team`)
    assert.equal(none.status, 404, 'the social worker has no relationship to this pupil')
    const noTeam = await get(await ctx.s.signIn('dsl.brookside'), `/api/v1/children/${lone}/team`)
    assert.equal(noTeam.status, 200)
    assert.equal((noTeam.json() as { data: { team: unknown } }).data.team, null)
  })

  it('GET /api/v1/children/:childId/meetings: every meeting with kind, when, where, chair, status (cancelled, did not take place) and links', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const before = (await audits('meeting.child-list')).length
    const res = await get(sw, `/api/v1/children/${childId}/meetings`)
    assert.equal(res.status, 200, res.body.slice(0, 300))
    const { data } = res.json() as { data: Json[] }
    assert.deepEqual(data.map((m) => m.id), [heldId, notHeldId, upcomingId], 'soonest first; not another team’s meeting')
    const [held, notHeld, upcoming] = data as [Json, Json, Json]
    assert.equal(held.status, 'held')
    assert.equal(notHeld.status, 'did_not_take_place')
    assert.equal(upcoming.status, 'scheduled')
    assert.equal(held.kind, 'team')
    assert.equal(held.scheduledAt, '2026-11-16T10:00:00.000Z')
    assert.equal(held.place, 'Brookside Primary, room 2')
    assert.equal(held.mode, 'in_person')
    assert.deepEqual(held.chair, { name: 'Ben Carter' })
    assert.equal(held.teamId, tacId)
    assert.deepEqual(held.links, { self: `/api/v1/meetings/${heldId}`, page: `/teams/${tacId}/meetings/${heldId}` })
    assert.ok(!('minutes' in held), 'a list carries no minutes')
    const rows = await audits('meeting.child-list')
    assert.equal(rows.length, before + 1)
    assert.equal(rows[0]!.outcome, 'success')
    assert.deepEqual([...rows[0]!.child_ids].sort(), [childId, sibling].sort())

    // a cancellation recorded before the start: cancelled (not "did not take place")
    await db().updateTable('meeting').set({ status: 'cancelled', cancelled_at: new Date('2026-11-23T09:00:00Z') }).where('id', '=', upcomingId).execute()
    const again = (await get(sw, `/api/v1/children/${childId}/meetings`)).json() as { data: Json[] }
    assert.equal(again.data.find((m) => m.id === upcomingId)!.status, 'cancelled')
  })

  it('GET /api/v1/meetings/:meetingId: decisions, actions (who, what, when, cost in pence) and the minutes as the page shows them — audited', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const before = (await audits('meeting.view')).length
    const res = await get(sw, `/api/v1/meetings/${heldId}`)
    assert.equal(res.status, 200, res.body.slice(0, 300))
    const { data } = res.json() as { data: Json & { decisions: Json[]; actions: Json[]; minutes: Json | null } }
    assert.equal(data.id, heldId)
    assert.equal(data.status, 'held')
    assert.deepEqual(data.chair, { name: 'Ben Carter' })
    assert.deepEqual(
      data.decisions.map((d) => [d.decision, d.recordedBy]),
      [['Keep the plan at early help', 'Ben Carter']],
    )
    assert.equal(data.actions.length, 1)
    const a = data.actions[0]!
    assert.equal(a.what, 'Morning check-in')
    assert.deepEqual(a.who, { name: 'Claire Dawson', agency: 'Northshire School Nursing' })
    assert.equal(a.dueOn, '2026-12-04')
    assert.equal(a.costPence, 12_050)
    assert.equal(a.place, 'School office')
    assert.equal(a.outcome, 'The children are in school every day, on time')
    assert.deepEqual(data.minutes, { status: 'approved', text: 'Attendance is improving.', approvedBy: 'Ben Carter', approvedAt: '2026-11-20T12:00:00.000Z' })
    const rows = await audits('meeting.view')
    assert.equal(rows.length, before + 1)
    assert.equal(rows[0]!.outcome, 'success')
    assert.equal(rows[0]!.entity_id, heldId)
    assert.deepEqual([...rows[0]!.child_ids].sort(), [childId, sibling].sort())

    // no minutes yet: none (the page says "No minutes yet"); did not take place is said so
    const notHeld = (await get(sw, `/api/v1/meetings/${notHeldId}`)).json() as { data: Json }
    assert.equal(notHeld.data.minutes, null)
    assert.equal(notHeld.data.status, 'did_not_take_place')
    // a draft is shown to every viewer of the meeting, marked as a draft (as the page)
    await db().updateTable('meeting').set({ minutes: 'Draft text', minutes_status: 'draft' }).where('id', '=', notHeldId).execute()
    const dsl = (await get(await ctx.s.signIn('dsl.brookside'), `/api/v1/meetings/${notHeldId}`)).json() as { data: Json }
    assert.deepEqual(dsl.data.minutes, { status: 'draft', text: 'Draft text', approvedBy: null, approvedAt: null })
  })

  it('GET /api/v1/children/:childId/plan: outcomes, actions (who, what, when, where, cost), how we will know, the review date and the version — audited', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const before = (await audits('plan.child')).length
    const res = await get(sw, `/api/v1/children/${childId}/plan`)
    assert.equal(res.status, 200, res.body.slice(0, 300))
    const { data } = res.json() as { data: { childId: string; plan: Json & { outcomes: (Json & { actions: Json[] })[] } } }
    assert.equal(data.childId, childId)
    assert.equal(data.plan.teamId, tacId)
    assert.equal(data.plan.version, 3)
    assert.equal(data.plan.nextReviewOn, '2026-12-14')
    assert.equal(data.plan.outcomes.length, 1)
    const o = data.plan.outcomes[0]!
    assert.equal(o.id, outcomeId)
    assert.equal(o.outcome, 'The children are in school every day, on time')
    assert.equal(o.howWeWillKnow, 'Named measure: attendance above 95%', 'as the plan page says it')
    assert.equal(o.for, 'All the children')
    assert.deepEqual(
      o.actions.map((a) => [a.what, (a.who as Json).name, (a.who as Json).agency, a.dueOn, a.place, a.costPence, a.status]),
      [['Morning check-in', 'Claire Dawson', 'Northshire School Nursing', '2026-12-04', 'School office', 12_050, 'not_started']],
    )
    const rows = await audits('plan.child')
    assert.equal(rows.length, before + 1)
    assert.equal(rows[0]!.outcome, 'success')
    // the plan's outcomes name the sibling: the audit row names both children, as the plan page's does
    assert.deepEqual(rows[0]!.child_ids, [childId, sibling])
  })

  it('out of reach, absent, or a bad id: the same 404 problem+json, audited as not found', async () => {
    const stranger = await ctx.s.signIn('dsl.academy')
    const urls = (child: string, meeting: string) => [`/api/v1/children/${child}/team`, `/api/v1/children/${child}/meetings`, `/api/v1/children/${child}/plan`, `/api/v1/meetings/${meeting}`]
    const actions = ['tac.team', 'meeting.child-list', 'plan.child', 'meeting.view']
    const outOfReach = urls(childId, heldId)
    const absent = urls(randomUUID(), randomUUID())
    const bad = urls('not-a-uuid', '1%27%20or%201=1')
    for (const [i, url] of outOfReach.entries()) {
      const before = (await audits(actions[i]!)).length
      const hidden = await assertNotFound(stranger, url)
      const rows = await audits(actions[i]!)
      assert.equal(rows.length, before + 1, `${url}: the refused read is audited`)
      assert.equal(rows[0]!.outcome, 'not_found')
      assert.deepEqual(await assertNotFound(stranger, absent[i]!), hidden, `${url}: out of reach looks like absent`)
      assert.deepEqual(await assertNotFound(stranger, bad[i]!), hidden, `${bad[i]}: a bad id is the same 404`)
    }
    // the stranger's own team's meeting is theirs; brookside's social worker does not see it
    assert.equal((await get(stranger, `/api/v1/meetings/${otherTeamMeetingId}`)).status, 200)
    await assertNotFound(await ctx.s.signIn('sw.north'), `/api/v1/meetings/${otherTeamMeetingId}`)
    // not signed in: 401, as every API route
    const anon = await ctx.s.app.inject({ method: 'GET', url: `/api/v1/children/${childId}/team` })
    assert.equal(anon.statusCode, 401)
  })
})
