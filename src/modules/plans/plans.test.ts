import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { assertPdfUndelivered, assertPdfUnavailable } from '../../../test/support/pdf.ts'
import { makeTac, membershipOf, pupilOf } from '../../../test/support/tac.ts'
import { progressSvg } from './chart.ts'
import { diffSnapshots, formatPence, type PlanSnapshot } from './plan-store.ts'
import { parseCost } from './routes.ts'

/** The hidden fields of the form posting to `action` on a page (to resubmit it as a browser would). */
function hiddenFields(body: string, action: string): Record<string, string> {
  const start = body.indexOf(`action="${action}"`)
  assert.ok(start > 0, `no form posting to ${action}`)
  const form = body.slice(start, body.indexOf('</form>', start))
  const out: Record<string, string> = {}
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"')
  return out
}

describe('progress chart (unit)', () => {
  const data = {
    title: 'Progress of the plan for Amy',
    reviews: [
      { id: 'r1', heldOn: '2026-12-07' },
      { id: 'r2', heldOn: '2027-01-11' },
    ],
    outcomes: [
      { id: 'o1', label: 'Amy goes to school every day', scores: [3, 6] },
      { id: 'o2', label: 'Amy sleeps through the night', scores: [null, 4] },
    ],
    actions: [
      { done: 0, overdue: 1, open: 1 },
      { done: 2, overdue: 0, open: 1 },
    ],
  }

  it('draws a line of scores per outcome, told apart by markers and dashes, with a title and description', () => {
    const svg = progressSvg(data)
    assert.match(svg, /^<svg [^>]*role="img" aria-labelledby="progress-title progress-desc"/)
    assert.match(svg, /<title id="progress-title">Progress of the plan for Amy<\/title>/)
    assert.match(svg, /<desc id="progress-desc">[^<]*Outcome 1, Amy goes to school every day: 7 Dec 2026 3, 11 Jan 2027 6\./)
    assert.match(svg, /Outcome 1 \(Amy goes to school every day\): 3 out of 10 at the review on 7 Dec 2026/)
    assert.match(svg, /Outcome 1 \(Amy goes to school every day\): 6 out of 10 at the review on 11 Jan 2027/)
    assert.match(svg, /Outcome 2 \(Amy sleeps through the night\): 4 out of 10 at the review on 11 Jan 2027/)
    assert.doesNotMatch(svg, /Outcome 2[^<]*at the review on 7 Dec 2026/, 'an outcome not scored has no point')
    // the first outcome is a line (two points); the second has one point only, and a different marker and dash
    assert.equal((svg.match(/<polyline/g) ?? []).length, 1)
    assert.match(svg, /<circle[^>]*><title>Outcome 1/)
    assert.match(svg, /<rect[^>]*><title>Outcome 2/)
    assert.match(svg, /stroke-dasharray="8 4"/)
    // the bars: done / overdue / open at each review, numbers written on them
    assert.match(svg, /<title>7 Dec 2026: 1 overdue<\/title>/)
    assert.match(svg, /<title>11 Jan 2027: 2 done<\/title>/)
    assert.match(svg, /0 done, 1 overdue, 1 open/)
    assert.match(svg, /pattern id="progress-hatch"/)
    assert.doesNotMatch(svg, /<script/)
  })

  it('says so when there are no reviews; escapes text', () => {
    const none = progressSvg({ title: 'A <b> & c', reviews: [], outcomes: [], actions: [] })
    assert.match(none, /No reviews yet/)
    assert.match(none, /A &lt;b&gt; &amp; c/)
  })

  it('compares versions field by field; money in pounds', () => {
    const a: PlanSnapshot = { nextReviewOn: null, outcomes: [{ id: 'o1', childId: null, body: 'Goes to school', measure: 'scale', measureName: null, sort: 1, actions: [{ id: 'a1', outcomeId: 'o1', what: 'Walk to school', ownerMembershipId: null, ownerName: 'Mum', ownerAgency: 'Family', dueOn: '2026-12-01', place: '', costPence: null, status: 'not_started', meetingId: null }] }] }
    const b: PlanSnapshot = { nextReviewOn: '2027-01-11', outcomes: [{ ...a.outcomes[0]!, actions: [{ ...a.outcomes[0]!.actions[0]!, dueOn: '2026-12-15', costPence: 123450 }] }, { id: 'o2', childId: null, body: 'Sleeps', measure: 'named', measureName: 'Sleep diary', sort: 2, actions: [] }] }
    const d = diffSnapshots(a, b)
    assert.equal(d.empty, false)
    assert.deepEqual(d.outcomes.added.map((o) => o.body), ['Sleeps'])
    assert.deepEqual(d.actions.changed[0]!.changes.map((c) => [c.label, c.before, c.after]), [
      ['Due date', '2026-12-01', '2026-12-15'],
      ['Cost', 'none', '£1,234.50'],
    ])
    assert.equal(d.reviewDate?.after, '2027-01-11')
    assert.equal(diffSnapshots(b, b).empty, true)
    assert.equal(formatPence(123450), '£1,234.50')
    assert.equal(parseCost('£1,234.50'), 123450)
    assert.equal(parseCost('80'), 8000)
    assert.equal(parseCost('12.5'), 1250)
    assert.equal(parseCost(''), null)
    assert.equal(parseCost('abc'), undefined)
    assert.equal(parseCost('-5'), undefined)
  })
})

describeApp('the joint agency plan, its versions, concurrency, reviews and the progress chart', (ctx) => {
  let childId: string
  let tacId: string
  let given: string
  let outcome1: string
  let actionA: string
  let actionB: string

  const db = () => ctx.s.t.db
  const action = (id: string) => db().selectFrom('plan_action').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  it('a member builds the plan: an outcome and two actions with costs; the family version hides costs', async () => {
    childId = await pupilOf(db(), 'brookside')
    given = (await db().selectFrom('child').select('given_name').where('id', '=', childId).executeTakeFirstOrThrow()).given_name
    tacId = await makeTac(db(), { childIds: [childId], lead: 'sw.north', members: ['nurse', 'hv'] })
    const sw = await ctx.s.signIn('sw.north')
    const empty = await sw.get(`/teams/${tacId}/plan`)
    assert.equal(empty.statusCode, 200)
    assert.match(empty.body, /no outcomes yet/)
    await sw.get(`/teams/${tacId}/plan/outcomes/new`)
    // bad input: missing outcome text → 400 with the error summary, the input kept
    const noText = await sw.post(`/teams/${tacId}/plan/outcomes`, { body: '', measure: 'named', measureName: '' })
    assert.equal(noText.statusCode, 400)
    assert.match(noText.body, /govuk-error-summary/)
    assert.match(noText.body, /Say what will be different for the child/)
    assert.match(noText.body, /Name the measure/)
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes`, { body: `${given} goes to school every day and is on time`, measure: 'scale' })).statusCode, 303)
    outcome1 = (await db().selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).executeTakeFirstOrThrow()).id

    await sw.get(`/teams/${tacId}/plan/outcomes/${outcome1}/actions/new`)
    const badCost = await sw.post(`/teams/${tacId}/plan/outcomes/${outcome1}/actions`, { what: 'Attend parenting course', owner: 'other', ownerName: 'Mum', ownerAgency: 'Mum', dueOn: '2026-12-01', place: 'Children’s centre', cost: 'abc' })
    assert.equal(badCost.statusCode, 400)
    assert.match(badCost.body, /Enter the cost in pounds/)
    assert.match(badCost.body, /value="abc"/, 'the input is kept')
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes/${outcome1}/actions`, { what: 'Attend parenting course', owner: 'other', ownerName: 'Sam Parent', ownerAgency: 'Mum', dueOn: '2026-12-01', place: 'Children’s centre', cost: '£1,234.50' })).statusCode, 303)
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes/${outcome1}/actions`, { what: 'Morning routine chart and alarm clock', owner: membershipOf('nurse'), dueOn: '2026-12-10', place: 'Home', cost: '80' })).statusCode, 303)
    const actions = await db().selectFrom('plan_action').selectAll().where('tac_id', '=', tacId).orderBy('due_on').execute()
    assert.equal(actions.length, 2)
    actionA = actions[0]!.id
    actionB = actions[1]!.id
    assert.equal(actions[0]!.cost_pence, 123450)
    assert.equal(actions[1]!.owner_name, 'Claire Dawson', 'a member owner is recorded by name and agency')
    assert.ok(actions[1]!.owner_agency.length > 0)

    const plan = await sw.get(`/teams/${tacId}/plan`)
    assert.equal(plan.statusCode, 200)
    assert.match(plan.body, /£1,234\.50/)
    assert.match(plan.body, /£80\.00/)
    assert.match(plan.body, /Total cost of the actions: <strong>£1,314\.50<\/strong>/)
    assert.match(plan.body, /Claire Dawson/)
    const family = await sw.get(`/teams/${tacId}/plan/family`)
    assert.equal(family.statusCode, 200)
    assert.match(family.body, new RegExp(`What will be different for ${given}`))
    assert.match(family.body, /Who will help and when/)
    assert.match(family.body, /Attend parenting course/)
    assert.doesNotMatch(family.body, /£|1,234|cost_pence|row_?[vV]ersion/)
    // every change is a version, and a chronology entry
    const tac = await db().selectFrom('tac').select('plan_version').where('id', '=', tacId).executeTakeFirstOrThrow()
    assert.equal(tac.plan_version, 3)
    const entries = await db().selectFrom('entry').select('summary').where('child_id', '=', childId).where('type', '=', 'plan_change').execute()
    assert.equal(entries.length, 3)
    const audit = await db().selectFrom('audit_event').select(['child_ids', 'outcome']).where('action', '=', 'plan.family').orderBy('at', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual(audit.child_ids, [childId])
  })

  it('two members edit different actions at once: both are saved', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const nurse = await ctx.s.signIn('nurse')
    const swForm = hiddenFields((await sw.get(`/teams/${tacId}/plan/actions/${actionA}`)).body, `/teams/${tacId}/plan/actions/${actionA}`)
    const nurseForm = hiddenFields((await nurse.get(`/teams/${tacId}/plan/actions/${actionB}`)).body, `/teams/${tacId}/plan/actions/${actionB}`)
    assert.equal(swForm.rowVersion, '1')
    assert.equal(nurseForm.rowVersion, '1')
    const a = await sw.post(`/teams/${tacId}/plan/actions/${actionA}`, { rowVersion: swForm.rowVersion!, what: 'Attend parenting course', owner: 'other', ownerName: 'Sam Parent', ownerAgency: 'Mum', dueOn: '2026-12-15', place: 'Children’s centre', cost: '1234.50', status: 'in_progress' })
    const b = await nurse.post(`/teams/${tacId}/plan/actions/${actionB}`, { rowVersion: nurseForm.rowVersion!, what: 'Morning routine chart and alarm clock', owner: membershipOf('nurse'), dueOn: '2026-12-01', place: 'Home visit', cost: '80', status: 'not_started' })
    assert.equal(a.statusCode, 303)
    assert.equal(b.statusCode, 303)
    assert.equal((await action(actionA)).due_on, '2026-12-15')
    assert.equal((await action(actionA)).status, 'in_progress')
    assert.equal((await action(actionB)).place, 'Home visit')
    assert.equal((await action(actionB)).due_on, '2026-12-01')
    const v = await db().selectFrom('plan_version').select(['version', 'change_summary']).where('tac_id', '=', tacId).where('version', '=', 4).executeTakeFirstOrThrow()
    assert.equal(v.change_summary, "Action 'Attend parenting course' due date changed 2026-12-01 → 2026-12-15; status changed Not started → In progress")
  })

  it('two members edit the same action from the same version: the second sees both versions (409), then applies theirs', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const hv = await ctx.s.signIn('hv')
    const url = `/teams/${tacId}/plan/actions/${actionA}`
    const swForm = hiddenFields((await sw.get(url)).body, url)
    const hvForm = hiddenFields((await hv.get(url)).body, url)
    assert.equal(swForm.rowVersion, hvForm.rowVersion)
    const first = await sw.post(url, { rowVersion: swForm.rowVersion!, what: 'Attend the Incredible Years parenting course', owner: 'other', ownerName: 'Sam Parent', ownerAgency: 'Mum', dueOn: '2026-12-15', place: 'Children’s centre', cost: '1234.50', status: 'in_progress' })
    assert.equal(first.statusCode, 303)
    const second = await hv.post(url, { rowVersion: hvForm.rowVersion!, what: 'Attend parenting course', owner: 'other', ownerName: 'Sam Parent', ownerAgency: 'Mum', dueOn: '2026-12-15', place: 'Brookside Family Hub', cost: '1234.50', status: 'in_progress' })
    assert.equal(second.statusCode, 409)
    assert.match(second.body, /Someone else changed this/)
    assert.match(second.body, /Attend the Incredible Years parenting course/, 'their version is shown')
    assert.match(second.body, /Brookside Family Hub/, 'your version is shown')
    // nothing saved over theirs yet
    assert.equal((await action(actionA)).what, 'Attend the Incredible Years parenting course')
    assert.equal((await action(actionA)).place, 'Children’s centre')
    const again = hiddenFields(second.body, url)
    assert.equal(again.rowVersion, String((await action(actionA)).row_version))
    assert.equal(again.place, 'Brookside Family Hub')
    const applied = await hv.post(url, again)
    assert.equal(applied.statusCode, 303)
    assert.equal((await action(actionA)).place, 'Brookside Family Hub')
    // their change is kept in the versions
    const versions = await hv.get(`/teams/${tacId}/plan/versions`)
    assert.match(versions.body, /what changed Attend parenting course → Attend the Incredible Years parenting course/)
    // a stale status change of the same action is a conflict too; a stale remove as well
    const stale = await sw.post(`${url}/status`, { status: 'done', rowVersion: swForm.rowVersion! })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Apply my version on top of theirs/)
    const staleRemove = await sw.post(`${url}/remove`, { rowVersion: swForm.rowVersion! })
    assert.equal(staleRemove.statusCode, 409)
    assert.ok(await action(actionA).then((a) => a.removed_at === null))
  })

  it('versions compare field by field', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const cmp = await sw.get(`/teams/${tacId}/plan/versions?from=3&to=4`)
    assert.equal(cmp.statusCode, 200)
    assert.match(cmp.body, /Due date changed<\/td><td class="govuk-table__cell">2026-12-01<\/td><td class="govuk-table__cell">2026-12-15/)
    const all = await sw.get(`/teams/${tacId}/plan/versions?from=0`)
    assert.equal(all.statusCode, 200)
    assert.match(all.body, /Added/)
    assert.equal((await sw.get(`/teams/${tacId}/plan/versions?from=abc`)).statusCode, 400)
  })

  it('the review date starts the R21 clock; review 1 scores, flags overdue actions and meets it', async () => {
    let sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/plan`)
    const badDate = await sw.post(`/teams/${tacId}/plan/review-date`, { nextReviewOn: '2026-13-01', previous: '' })
    assert.equal(badDate.statusCode, 400)
    assert.equal((await sw.post(`/teams/${tacId}/plan/review-date`, { nextReviewOn: '2026-12-07', previous: '' })).statusCode, 303)
    const clock = await db().selectFrom('clock').selectAll().where('subject_id', '=', tacId).where('rule', '=', 'R21').where('state', '=', 'running').executeTakeFirstOrThrow()
    assert.equal(clock.due_at.toISOString(), '2026-12-07T17:00:00.000Z')
    // someone else's stale review date form → conflict
    const stale = await sw.post(`/teams/${tacId}/plan/review-date`, { nextReviewOn: '2026-12-08', previous: '' })
    assert.equal(stale.statusCode, 409)

    ctx.s.clock.set('2026-12-07T15:00:00Z')
    sw = await ctx.s.signIn('sw.north')
    const form = await sw.get(`/teams/${tacId}/reviews/new`)
    assert.equal(form.statusCode, 200)
    assert.match(form.body, /Overdue/, 'action B (due 1 December, not started) is flagged')
    const base = { heldOn: '2026-12-07', [`status_${actionA}`]: 'in_progress', [`status_${actionB}`]: 'not_started', childView: 'I like the alarm clock', familyView: 'Mornings are calmer', summary: 'Some progress', nextReviewOn: '2027-01-11' }
    const tooHigh = await sw.post(`/teams/${tacId}/reviews`, { ...base, [`score_${outcome1}`]: '11' })
    assert.equal(tooHigh.statusCode, 400)
    assert.match(tooHigh.body, /govuk-error-summary/)
    assert.match(tooHigh.body, /A score is a whole number from 0 to 10/)
    assert.match(tooHigh.body, /Mornings are calmer/, 'the input is kept')
    // a note too long is an error on that note, never cut short
    const long = await sw.post(`/teams/${tacId}/reviews`, { ...base, [`score_${outcome1}`]: '3', [`anote_${actionA}`]: 'x'.repeat(5001) })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, new RegExp(`href="#anote_${actionA}"[^>]*>A note must be 5,000 characters or fewer`))
    // a note sent twice is refused at that note, never saved as the two joined
    const twice = await sw.post(`/teams/${tacId}/reviews`, { ...base, [`score_${outcome1}`]: '3', [`note_${outcome1}`]: ['Late twice a week', 'second'], [`anote_${actionA}`]: ['one', 'two'] })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, new RegExp(`href="#note_${outcome1}"[^>]*>A note was sent more than once: enter it once`))
    assert.match(twice.body, new RegExp(`href="#anote_${actionA}"[^>]*>A note was sent more than once: enter it once`))
    assert.equal((await sw.post(`/teams/${tacId}/reviews`, { ...base, [`score_${outcome1}`]: '3', [`note_${outcome1}`]: 'Late twice a week' })).statusCode, 303)
    const review = await db().selectFrom('review').selectAll().where('tac_id', '=', tacId).executeTakeFirstOrThrow()
    assert.equal(review.plan_version, (await db().selectFrom('tac').select('plan_version').where('id', '=', tacId).executeTakeFirstOrThrow()).plan_version)
    const flags = await db().selectFrom('review_action').select(['action_id', 'overdue']).where('review_id', '=', review.id).execute()
    assert.equal(flags.find((f) => f.action_id === actionB)!.overdue, true)
    assert.equal(flags.find((f) => f.action_id === actionA)!.overdue, false)
    const clocks = await db().selectFrom('clock').select(['state', 'due_at']).where('subject_id', '=', tacId).where('rule', '=', 'R21').orderBy('created_at').execute()
    assert.deepEqual(clocks.map((c) => c.state), ['met', 'running'])
    assert.equal(clocks[1]!.due_at.toISOString(), '2027-01-11T17:00:00.000Z')
    const entry = await db().selectFrom('entry').select(['summary', 'visibility']).where('child_id', '=', childId).where('type', '=', 'review').executeTakeFirstOrThrow()
    assert.match(entry.summary, /1 overdue/)
    assert.equal((await db().selectFrom('tac').select('next_review_on').where('id', '=', tacId).executeTakeFirstOrThrow()).next_review_on, '2027-01-11')
  })

  it('"what changed since the last review" lists the changes made after review 1; review 2; the chart and table agree', async () => {
    let sw = await ctx.s.signIn('sw.north')
    const nothing = await sw.get(`/teams/${tacId}/plan/since-review`)
    assert.match(nothing.body, /Nothing changed/)
    await sw.get(`/teams/${tacId}/plan/outcomes/new`)
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes`, { body: `${given} sleeps through the night`, measure: 'named', measureName: 'Sleep diary' })).statusCode, 303)
    const form = hiddenFields((await sw.get(`/teams/${tacId}/plan`)).body, `/teams/${tacId}/plan/actions/${actionB}/status`)
    assert.equal((await sw.post(`/teams/${tacId}/plan/actions/${actionB}/status`, { ...form, status: 'done' })).statusCode, 303)
    const since = await sw.get(`/teams/${tacId}/plan/since-review`)
    assert.equal(since.statusCode, 200)
    assert.match(since.body, new RegExp(`${given} sleeps through the night`))
    assert.match(since.body, /Status changed<\/td><td class="govuk-table__cell">Not started<\/td><td class="govuk-table__cell">Done/)
    const outcome2 = (await db().selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).where('measure', '=', 'named').executeTakeFirstOrThrow()).id

    // a day late: the reason is required
    ctx.s.clock.set('2027-01-12T11:00:00Z')
    sw = await ctx.s.signIn('sw.north')
    await sw.get(`/teams/${tacId}/reviews/new`)
    const base = { heldOn: '2027-01-12', [`score_${outcome1}`]: '6', [`score_${outcome2}`]: '4', [`status_${actionA}`]: 'done', [`status_${actionB}`]: 'done', familyView: 'Much better', nextReviewOn: '2027-02-22' }
    const late = await sw.post(`/teams/${tacId}/reviews`, base)
    assert.equal(late.statusCode, 400)
    assert.match(late.body, /record the reason it is late/)
    assert.equal((await sw.post(`/teams/${tacId}/reviews`, { ...base, lateReason: 'Mum was ill on the day' })).statusCode, 303)
    const met = await db().selectFrom('clock').select(['state', 'reason']).where('subject_id', '=', tacId).where('rule', '=', 'R21').where('state', '=', 'met_late').executeTakeFirstOrThrow()
    assert.equal(met.reason, 'Mum was ill on the day')

    const svg = await sw.get(`/teams/${tacId}/progress.svg`)
    assert.equal(svg.statusCode, 200)
    assert.match(String(svg.headers['content-type']), /image\/svg\+xml/)
    assert.match(svg.body, /3 out of 10 at the review on 7 Dec 2026/)
    assert.match(svg.body, /6 out of 10 at the review on 12 Jan 2027/)
    assert.match(svg.body, /sleeps through the night\): 4 out of 10 at the review on 12 Jan 2027/)
    assert.match(svg.body, /<title>7 Dec 2026: 1 overdue<\/title>/)
    assert.match(svg.body, /<title>12 Jan 2027: 2 done<\/title>/)
    const page = await sw.get(`/teams/${tacId}/progress`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<svg [^>]*role="img"/)
    const table = page.body.slice(page.body.indexOf('Scores at each review, out of 10'))
    assert.match(table, new RegExp(`1: ${given} goes to school every day and is on time</th><td class="govuk-table__cell govuk-table__cell--numeric">3</td><td class="govuk-table__cell govuk-table__cell--numeric">6</td>`))
    assert.match(table, /sleeps through the night<\/th><td class="govuk-table__cell govuk-table__cell--numeric">Not scored<\/td><td class="govuk-table__cell govuk-table__cell--numeric">4<\/td>/)
    assert.match(table, /7 Dec 2026<\/th><td class="govuk-table__cell govuk-table__cell--numeric">0<\/td><td class="govuk-table__cell govuk-table__cell--numeric">1<\/td><td class="govuk-table__cell govuk-table__cell--numeric">1<\/td>/)
    assert.match(table, /12 Jan 2027<\/th><td class="govuk-table__cell govuk-table__cell--numeric">2<\/td><td class="govuk-table__cell govuk-table__cell--numeric">0<\/td><td class="govuk-table__cell govuk-table__cell--numeric">0<\/td>/)
    const reviews = await sw.get(`/teams/${tacId}/reviews`)
    assert.equal(reviews.statusCode, 200)
    assert.match(reviews.body, /Mum was ill|Much better/)
    assert.match(reviews.body, /<svg [^>]*role="img"/)
  })

  it('the PDF for members and for the family', async () => {
    const sw = await ctx.s.signIn('sw.north')
    // without Chromium: the one "not available" page, the printable page offered, nothing read or audited as exported
    const exports = async () => (await db().selectFrom('audit_event').select('id').where('action', '=', 'plan.export').execute()).length
    const before = await exports()
    await assertPdfUnavailable(ctx.s, () => sw.get(`/teams/${tacId}/plan.pdf?for=family`), /use the printable page of the plan instead/)
    assert.equal(await exports(), before)
    // Chromium there but making no PDF: the same page, and the export read is followed by a row saying it never left
    const undelivered = await assertPdfUndelivered(ctx.s, () => sw.get(`/teams/${tacId}/plan.pdf?for=family`), /use the printable page of the plan instead/, 'plan.export')
    assert.deepEqual(undelivered[1]!.child_ids, undelivered[0]!.child_ids)
    const pdf = await sw.get(`/teams/${tacId}/plan.pdf?for=family`)
    if (pdf.statusCode === 503) {
      assert.match(pdf.body, /Sorry, you cannot download a PDF at the moment/)
    } else {
      assert.equal(pdf.statusCode, 200)
      assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-')
    }
    assert.equal((await sw.get(`/teams/${tacId}/plan.pdf?for=everyone`)).statusCode, 400)
    const audit = await db().selectFrom('audit_event').select(['details', 'child_ids']).where('action', '=', 'plan.export').where('outcome', '=', 'success').orderBy('at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal((audit.details as { for: string }).for, 'family')
    assert.deepEqual(audit.child_ids, [childId])
  })

  it('a review never undoes a status changed since its form was opened, refuses to overwrite one, and its dates are bounded', async () => {
    ctx.s.clock.set('2027-02-01T10:00:00Z')
    const sw = await ctx.s.signIn('sw.north')
    const setStatus = async (status: string) => {
      const form = hiddenFields((await sw.get(`/teams/${tacId}/plan`)).body, `/teams/${tacId}/plan/actions/${actionA}/status`)
      assert.equal((await sw.post(`/teams/${tacId}/plan/actions/${actionA}/status`, { rowVersion: form.rowVersion!, status })).statusCode, 303)
    }
    const statusOfA = async () => (await db().selectFrom('plan_action').select('status').where('id', '=', actionA).executeTakeFirstOrThrow()).status
    await setStatus('in_progress')
    // the reviewer opens the form: it shows A in progress
    const opened = (await sw.get(`/teams/${tacId}/reviews/new`)).body
    const shown = Object.fromEntries(Object.entries(hiddenFields(opened, `/teams/${tacId}/reviews`)).filter(([k]) => k.startsWith('shown_')))
    assert.equal(shown[`shown_${actionA}`], 'in_progress')
    // meanwhile another member marks A done
    await setStatus('done')
    const outcomes = await db().selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).where('removed_at', 'is', null).execute()
    const base = { ...shown, heldOn: '2027-02-01', ...Object.fromEntries(outcomes.map((o) => [`score_${o.id}`, '7'])), [`status_${actionA}`]: 'in_progress', [`status_${actionB}`]: 'done', nextReviewOn: '2027-03-15' }
    // dates: not before the team began, nor before the last review; the next one not in the past
    for (const [over, field, message] of [
      [{ heldOn: '2025-01-01' }, 'heldOn', /The review date cannot be before the team started/],
      [{ heldOn: '2027-01-05' }, 'heldOn', /The review date cannot be before the last review, held on 2027-01-12/],
      [{ nextReviewOn: '2026-03-01', heldOn: '2027-01-20' }, 'nextReviewOn', /The next review must be after this review/],
      [{ nextReviewOn: '2027-01-25', heldOn: '2027-01-20' }, 'nextReviewOn', /The next review date cannot be in the past/],
    ] as const) {
      const r = await sw.post(`/teams/${tacId}/reviews`, { ...base, ...over })
      assert.equal(r.statusCode, 400, JSON.stringify(over))
      assert.match(r.body, new RegExp(`href="#${field}"[^>]*>${message.source}`))
    }
    // the reviewer changes A (to dropped) over the other member's change: refused, naming it, and the form now shows it
    const over = await sw.post(`/teams/${tacId}/reviews`, { ...base, [`status_${actionA}`]: 'dropped' })
    assert.equal(over.statusCode, 400)
    assert.match(over.body, new RegExp(`href="#status_${actionA}"[^>]*>Someone changed the status of ‘[^’]+’ to Done since you opened this form`))
    assert.match(over.body, new RegExp(`name="shown_${actionA}" value="done"`))
    assert.equal(await statusOfA(), 'done')
    // the review sent as it was drawn (A left as shown) keeps the other member's change
    assert.equal((await sw.post(`/teams/${tacId}/reviews`, base)).statusCode, 303)
    assert.equal(await statusOfA(), 'done', 'not put back to in progress')
    const review = await db().selectFrom('review').select('id').where('tac_id', '=', tacId).where('held_on', '=', '2027-02-01').executeTakeFirstOrThrow()
    const recorded = await db().selectFrom('review_action').select('status').where('review_id', '=', review.id).where('action_id', '=', actionA).executeTakeFirstOrThrow()
    assert.equal(recorded.status, 'done')
  })

  it('an action added to an outcome another member removed while the form was open: the plan, saying so with the words typed (409); nothing added', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes`, { body: 'Sleeps through the night', measure: 'scale' })).statusCode, 303)
    const doomed = await db().selectFrom('plan_outcome').select(['id', 'row_version']).where('tac_id', '=', tacId).where('body', '=', 'Sleeps through the night').executeTakeFirstOrThrow()
    assert.equal((await nurse.get(`/teams/${tacId}/plan/outcomes/${doomed.id}/actions/new`)).statusCode, 200)
    assert.equal((await sw.post(`/teams/${tacId}/plan/outcomes/${doomed.id}/remove`, { rowVersion: String(doomed.row_version) })).statusCode, 303)
    const before = (await db().selectFrom('plan_action').select('id').where('tac_id', '=', tacId).execute()).length
    const late = await nurse.post(`/teams/${tacId}/plan/outcomes/${doomed.id}/actions`, { what: 'Bedtime routine visits twice a week', owner: membershipOf('nurse'), dueOn: '2027-01-15', place: 'Home', cost: '' })
    assert.equal(late.statusCode, 409)
    assert.match(late.body, /govuk-error-summary[\s\S]*The outcome “Sleeps through the night” was removed from the plan since you opened the form/)
    assert.match(late.body, /“Bedtime routine visits twice a week”/, 'what was typed is on the page')
    assert.match(late.body, /Joint agency plan/)
    assert.equal((await db().selectFrom('plan_action').select('id').where('tac_id', '=', tacId).execute()).length, before)
    // an outcome that never was is still not found
    assert.equal((await nurse.post(`/teams/${tacId}/plan/outcomes/${randomUUID()}/actions`, { what: 'x', owner: membershipOf('nurse'), dueOn: '2027-01-15', place: 'Home', cost: '' })).statusCode, 404)
  })

  it('a non-member gets 404; a member who leaves loses access at the next request', async () => {
    const outsider: Agent = await ctx.s.signIn('police.missing')
    for (const url of [`/teams/${tacId}/plan`, `/teams/${tacId}/plan/family`, `/teams/${tacId}/reviews`, `/teams/${tacId}/progress.svg`, `/teams/${tacId}/plan/versions`]) {
      assert.equal((await outsider.get(url)).statusCode, 404, url)
    }
    await outsider.get('/')
    assert.equal((await outsider.post(`/teams/${tacId}/plan/outcomes`, { body: 'Hijack', measure: 'scale' })).statusCode, 404)
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await nurse.get(`/teams/${tacId}/plan`)).statusCode, 200)
    const now = ctx.s.clock.now()
    await db().updateTable('tac_member').set({ status: 'left', left_at: now, left_reason: 'Health review complete' }).where('tac_id', '=', tacId).where('membership_id', '=', membershipOf('nurse')).execute()
    await db().updateTable('relationship').set({ ends_at: now }).where('source', '=', `tac:${tacId}`).where('holder_membership_id', '=', membershipOf('nurse')).execute()
    assert.equal((await nurse.get(`/teams/${tacId}/plan`)).statusCode, 404)
    assert.equal((await nurse.post(`/teams/${tacId}/plan/actions/${actionA}/status`, { status: 'done', rowVersion: '1' })).statusCode, 404)
  })
})
