import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { makeTac, membershipOf, pupilOf } from '../../../test/support/tac.ts'

describeApp('the team around the child: start, invite, join, family, level, leave', (ctx) => {
  let childId: string
  let tacId: string

  it('a DSL starts an early help team for a pupil; bad input is shown with an error summary', async () => {
    childId = await pupilOf(ctx.s.t.db, 'brookside')
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/teams`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Start a team around the child/)
    const bad = await dsl.post(`/children/${childId}/teams`, { level: 'child_protection', leadMembershipId: '', reason: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary/)
    assert.match(bad.body, /Choose the level of the team/)
    assert.match(bad.body, /Say why the team is needed/)
    const ok = await dsl.post(`/children/${childId}/teams`, { level: 'early_help', leadMembershipId: membershipOf('dsl.brookside'), leadRole: 'Lead practitioner (DSL)', reason: 'Attendance falling and mum asking for help with routines' })
    assert.equal(ok.statusCode, 303)
    tacId = String(ok.headers.location).split('/').pop()!
    const team = await dsl.get(`/teams/${tacId}`)
    assert.equal(team.statusCode, 200)
    assert.match(team.body, /Lead practitioner \(DSL\)/)
    const again = await dsl.post(`/children/${childId}/teams`, { level: 'early_help', leadMembershipId: membershipOf('dsl.brookside'), reason: 'Second' })
    assert.equal(again.statusCode, 400)
    assert.match(again.body, /already open/)
    const entry = await ctx.s.t.db.selectFrom('entry').select(['summary', 'visibility']).where('child_id', '=', childId).where('type', '=', 'tac_started').executeTakeFirstOrThrow()
    assert.match(entry.summary, /early help/)
    assert.equal(entry.visibility, 'team')
  })

  it('an invited nurse sees only the invitation until she joins; joining grants access to the record', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/teams/${tacId}`)
    const noRole = await dsl.post(`/teams/${tacId}/members`, { membershipId: membershipOf('nurse'), teamRole: '' })
    assert.equal(noRole.statusCode, 400)
    assert.match(noRole.body, /Say what their role in the team is/)
    assert.equal((await dsl.post(`/teams/${tacId}/members`, { membershipId: membershipOf('nurse'), teamRole: 'School nurse', duties: 'Health review; sleep and diet advice' })).statusCode, 303)
    const twice = await dsl.post(`/teams/${tacId}/members`, { membershipId: membershipOf('nurse'), teamRole: 'School nurse' })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /already invited/)
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await nurse.get(`/children/${childId}`)).statusCode, 404)
    assert.equal((await nurse.get(`/teams/${tacId}`)).statusCode, 404)
    const inv = await nurse.get(`/teams/${tacId}/invitation`)
    assert.equal(inv.statusCode, 200)
    assert.match(inv.body, /Health review; sleep and diet advice/)
    assert.equal((await nurse.post(`/teams/${tacId}/invitation`, {})).statusCode, 400)
    const joined = await nurse.post(`/teams/${tacId}/invitation`, { answer: 'join' })
    assert.equal(joined.statusCode, 303)
    assert.equal((await nurse.get(`/children/${childId}`)).statusCode, 200)
    const team = await nurse.get(`/teams/${tacId}`)
    assert.equal(team.statusCode, 200)
    // everyone sees who does what
    assert.match(team.body, /School nurse/)
    assert.match(team.body, /Claire Dawson/)
    const notice = await ctx.s.t.db.selectFrom('notification').select('kind').where('membership_id', '=', membershipOf('dsl.brookside')).where('kind', '=', 'tac.joined').executeTakeFirst()
    assert.ok(notice, 'the team is told who joined')
  })

  it('the family: views and agreement; "not agreed" needs a reason; two members editing at once lose nothing', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/teams/${tacId}`)
    const noReason = await dsl.post(`/teams/${tacId}/family`, { name: 'Jo Smith', relationship: 'Mother', agreement: 'not_agreed', agreementNote: '' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /why they do not agree/)
    assert.equal((await dsl.post(`/teams/${tacId}/family`, { name: 'Jo Smith', relationship: 'Mother', views: 'I want help with mornings.', agreement: 'agreed' })).statusCode, 303)
    const fm = await ctx.s.t.db.selectFrom('tac_family_member').selectAll().where('tac_id', '=', tacId).executeTakeFirstOrThrow()
    const nurse = await ctx.s.signIn('nurse')
    await nurse.get(`/teams/${tacId}`)
    assert.equal((await nurse.post(`/teams/${tacId}/family/${fm.id}`, { name: 'Jo Smith', relationship: 'Mother', views: 'Mornings are hard since the baby.', agreement: 'agreed', rowVersion: String(fm.row_version) })).statusCode, 303)
    const stale = await dsl.post(`/teams/${tacId}/family/${fm.id}`, { name: 'Jo Smith', relationship: 'Mother', views: 'Wants a parenting course.', agreement: 'agreed', rowVersion: String(fm.row_version) })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed this/)
    assert.match(stale.body, /Mornings are hard since the baby/)
    assert.match(stale.body, /Wants a parenting course/)
    const kept = await ctx.s.t.db.selectFrom('tac_family_member').select(['views', 'row_version']).where('id', '=', fm.id).executeTakeFirstOrThrow()
    assert.equal(kept.views, 'Mornings are hard since the baby.')
    assert.equal((await dsl.post(`/teams/${tacId}/family/${fm.id}`, { name: 'Jo Smith', relationship: 'Mother', views: 'Mornings are hard since the baby. Wants a parenting course.', agreement: 'agreed', rowVersion: String(kept.row_version) })).statusCode, 303)
    const entries = await ctx.s.t.db.selectFrom('entry').select('summary').where('child_id', '=', childId).where('type', '=', 'plan_agreement').execute()
    assert.equal(entries.length, 1, 'agreement is recorded once, not on every edit')
  })

  it('viewers with team reach read the team but do not change it; others get the same 404 as no team', async () => {
    const deputy = await ctx.s.signIn('deputy.brookside')
    const page = await deputy.get(`/teams/${tacId}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /only its members change its records/)
    const refused = await deputy.post(`/teams/${tacId}/family`, { name: 'X', relationship: 'Uncle', agreement: 'not_asked' })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.body, /Only members of the team/)
    for (const key of ['police.mash', 'dsl.academy', 'teacher.brookside']) {
      const a = await ctx.s.signIn(key)
      const res = await a.get(`/teams/${tacId}`)
      const absent = await a.get('/teams/00000000-0000-4000-8000-000000000000')
      assert.equal(res.statusCode, 404, key)
      assert.equal(absent.statusCode, 404)
    }
  })

  it('step up with reasons; a member who leaves loses access at the next request; closing ends the team', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/teams/${tacId}`)
    const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body.slice(page.body.indexOf('action="/teams/' + tacId + '/level"')))![1]!
    const cp = await dsl.post(`/teams/${tacId}/level`, { to: 'child_protection', reason: 'Escalating', rowVersion })
    assert.equal(cp.statusCode, 400)
    assert.match(cp.body, /child protection conference/)
    const noReason = await dsl.post(`/teams/${tacId}/level`, { to: 'child_in_need', reason: '', rowVersion })
    assert.equal(noReason.statusCode, 400)
    assert.equal((await dsl.post(`/teams/${tacId}/level`, { to: 'child_in_need', reason: 'Needs a social work assessment: little progress after 12 weeks', rowVersion })).statusCode, 303)
    const staleLevel = await dsl.post(`/teams/${tacId}/level`, { to: 'early_help', reason: 'Old page', rowVersion })
    assert.equal(staleLevel.statusCode, 400)
    assert.match(staleLevel.body, /Someone else changed this team/)
    const tac = await ctx.s.t.db.selectFrom('tac').select(['level', 'row_version']).where('id', '=', tacId).executeTakeFirstOrThrow()
    assert.equal(tac.level, 'child_in_need')
    const level = await ctx.s.t.db.selectFrom('entry').select(['summary', 'significance']).where('child_id', '=', childId).where('type', '=', 'level_change').executeTakeFirstOrThrow()
    assert.match(level.summary, /Stepped up from early help to child in need: Needs a social work assessment/)

    const nurse = await ctx.s.signIn('nurse')
    await nurse.get(`/teams/${tacId}`)
    assert.equal((await nurse.post(`/teams/${tacId}/leave`, { leaveReason: '' })).statusCode, 400)
    assert.equal((await nurse.post(`/teams/${tacId}/leave`, { leaveReason: 'Health review complete' })).statusCode, 303)
    assert.equal((await nurse.get(`/children/${childId}`)).statusCode, 404)
    assert.equal((await nurse.get(`/teams/${tacId}`)).statusCode, 404)

    // the lead cannot leave without handing over
    await dsl.get(`/teams/${tacId}`)
    const leadLeaves = await dsl.post(`/teams/${tacId}/leave`, { leaveReason: 'Moving on' })
    assert.equal(leadLeaves.statusCode, 400)
    assert.match(leadLeaves.body, /hand the lead/)

    assert.equal((await dsl.post(`/teams/${tacId}/level`, { to: 'closed', reason: 'Outcomes met: attendance back to 96%', rowVersion: String(tac.row_version) })).statusCode, 303)
    const closed = await ctx.s.t.db.selectFrom('tac').select(['status', 'closure_reason']).where('id', '=', tacId).executeTakeFirstOrThrow()
    assert.deepEqual(closed, { status: 'closed', closure_reason: 'Outcomes met: attendance back to 96%' })
    const open = await ctx.s.t.db.selectFrom('relationship').select('id').where('source', '=', `tac:${tacId}`).where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', ctx.s.clock.now())])).execute()
    assert.equal(open.length, 0, 'no team relationship outlives the team')
    // the DSL still sees it through the pupil relationship, read-only
    const after = await dsl.get(`/teams/${tacId}`)
    assert.equal(after.statusCode, 200)
    assert.match(after.body, /Closed/)
    const mine = await dsl.get('/teams')
    assert.equal(mine.statusCode, 200)
  })

  it('a closed team is seen only through a relationship to its children: its former lead, with none, gets the same 404 as a stranger', async () => {
    // a pupil known only to their school, in a team led by a social worker with no relationship of their own
    const pupil = await pupilOf(ctx.s.t.db, 'stannes')
    const team = await makeTac(ctx.s.t.db, { childIds: [pupil], lead: 'sw.north', members: ['nurse'] })
    const sw = await ctx.s.signIn('sw.north')
    assert.equal((await sw.get(`/teams/${team}`)).statusCode, 200)
    const { row_version } = await ctx.s.t.db.selectFrom('tac').select('row_version').where('id', '=', team).executeTakeFirstOrThrow()
    assert.equal((await sw.post(`/teams/${team}/level`, { to: 'closed', reason: 'Outcomes met', rowVersion: String(row_version) })).statusCode, 303)
    for (const path of [`/teams/${team}`, `/teams/${team}/plan`, `/teams/${team}/reviews`, `/children/${pupil}`]) {
      assert.equal((await sw.get(path)).statusCode, 404, `the former lead: ${path}`)
    }
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome']).where('actor_membership_id', '=', membershipOf('sw.north')).where('entity_id', '=', team).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    assert.equal(audit.outcome, 'not_found')
    // the school's DSL still sees it, read-only, through the pupil relationship
    const dsl = await ctx.s.signIn('dsl.stannes')
    assert.equal((await dsl.get(`/teams/${team}`)).statusCode, 200)
  })
})

describeApp('the team page’s forms shown once per row (a member’s role, removing a member, a family member)', (ctx) => {
  /** The `<details>` of one row, from its opening tag to its end. */
  const detailsOf = (body: string, id: string) => {
    const start = body.indexOf(`id="${id}"`)
    assert.ok(start > 0, `no ${id} on the page`)
    return body.slice(body.lastIndexOf('<details', start), body.indexOf('</details>', start))
  }
  /** The "Add a family member" form. */
  const addFamilyForm = (body: string, tacId: string) => {
    const start = body.indexOf(`action="/teams/${tacId}/family"`)
    return body.slice(start, body.indexOf('</form>', start))
  }

  it('an error in one row’s form is linked to that row’s field, shown beside it, with what was typed, in that row (not in another form)', async () => {
    const db = ctx.s.t.db
    const childId = await pupilOf(db, 'brookside', 5)
    const tacId = await makeTac(db, { childIds: [childId], lead: 'dsl.brookside', members: ['nurse'] })
    const team = `/teams/${tacId}`
    const nurse = (await db.selectFrom('tac_member').select('id').where('tac_id', '=', tacId).where('membership_id', '=', membershipOf('nurse')).executeTakeFirstOrThrow()).id
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(team)

    // the nurse's role emptied, duties typed: the error is the nurse's role field's, the duties typed are kept there
    const role = await dsl.post(`${team}/members/${nurse}/role`, { teamRole: ' ', duties: 'Sleep routine advice, weekly', rowVersion: '1' })
    assert.equal(role.statusCode, 400)
    assert.match(role.body, new RegExp(`<a href="#teamRole-${nurse}">Say what their role in the team is</a>`))
    const row = detailsOf(role.body, `member-${nurse}`)
    assert.match(row, /^<details [^>]* open>/, 'the row is open to show its error')
    assert.match(row, /govuk-error-message[\s\S]*Say what their role in the team is[\s\S]*id="teamRole-/)
    assert.match(row, /Sleep routine advice, weekly<\/textarea>/)
    assert.doesNotMatch(role.body.slice(role.body.indexOf('id="invite"')), /Sleep routine advice/, 'not in the invitation form')

    // the lead removes the nurse without a reason: linked to and shown at the nurse's "why remove them" field
    const remove = await dsl.post(`${team}/leave`, { memberId: nurse, leaveReason: '' })
    assert.equal(remove.statusCode, 400)
    assert.match(remove.body, new RegExp(`<a href="#leaveReason-${nurse}">Say why they are leaving the team</a>`))
    assert.match(detailsOf(remove.body, `member-${nurse}`), /^<details [^>]* open>[\s\S]*govuk-error-message[\s\S]*Say why they are leaving the team[\s\S]*id="leaveReason-/)
    assert.equal((await db.selectFrom('tac_member').select('status').where('id', '=', nurse).executeTakeFirstOrThrow()).status, 'joined')

    // a family member's update with the name emptied and views typed: shown in that family member's form, not the add form
    assert.equal((await dsl.post(`${team}/family`, { name: 'Dana Example', relationship: 'Mother', agreement: 'not_asked' })).statusCode, 303)
    const mum = await db.selectFrom('tac_family_member').select(['id', 'row_version']).where('tac_id', '=', tacId).executeTakeFirstOrThrow()
    const update = { name: '', relationship: 'Mother', views: 'Mornings are hard with the baby', agreement: 'not_agreed', agreementNote: '', rowVersion: String(mum.row_version) }
    const bad = await dsl.post(`${team}/family/${mum.id}`, update)
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, new RegExp(`<a href="#name-${mum.id}">Enter the family member’s name</a>`))
    const mine = detailsOf(bad.body, `familyMember-${mum.id}`)
    assert.match(mine, /^<details [^>]* open>/)
    assert.match(mine, /govuk-error-message[\s\S]*Enter the family member’s name/)
    assert.match(mine, /Mornings are hard with the baby<\/textarea>/)
    assert.match(mine, /value="not_agreed" checked/)
    assert.doesNotMatch(addFamilyForm(bad.body, tacId), /Mornings are hard with the baby|govuk-error-message|value="Mother"/, 'the add form is left as it was')
    // "not agreed" without a reason (the repository's refusal): linked to that family member's form, the input kept there
    const noReason = await dsl.post(`${team}/family/${mum.id}`, { ...update, name: 'Dana Example' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, new RegExp(`<a href="#familyMember-${mum.id}">Say why they do not agree to the plan</a>`))
    assert.match(detailsOf(noReason.body, `familyMember-${mum.id}`), /^<details [^>]* open>[\s\S]*Mornings are hard with the baby<\/textarea>/)
    assert.doesNotMatch(addFamilyForm(noReason.body, tacId), /Mornings are hard with the baby/)
    assert.equal((await db.selectFrom('tac_family_member').select('id').where('tac_id', '=', tacId).execute()).length, 1, 'nothing added')
  })
})

describeApp('a member’s role and duties edited by two people at once', (ctx) => {
  it('the second save, from a form opened before the first, is refused with both versions (409); nothing is lost, and it can be saved over', async () => {
    const db = ctx.s.t.db
    const childId = await pupilOf(db, 'brookside', 7)
    const tacId = await makeTac(db, { childIds: [childId], lead: 'dsl.brookside', members: ['nurse'] })
    const team = `/teams/${tacId}`
    const nurseRow = (await db.selectFrom('tac_member').select('id').where('tac_id', '=', tacId).where('membership_id', '=', membershipOf('nurse')).executeTakeFirstOrThrow()).id
    const versionIn = (body: string) => {
      const at = body.indexOf(`action="${team}/members/${nurseRow}/role"`)
      assert.ok(at > 0, 'the nurse’s role form is on the page')
      return /name="rowVersion" value="(\d+)"/.exec(body.slice(at, body.indexOf('</form>', at)))![1]!
    }
    // the lead and the nurse both open the team page
    const dsl = await ctx.s.signIn('dsl.brookside')
    const nurse = await ctx.s.signIn('nurse')
    const seenByLead = versionIn((await dsl.get(team)).body)
    const seenByNurse = versionIn((await nurse.get(team)).body)
    assert.equal(seenByLead, seenByNurse)

    assert.equal((await nurse.post(`${team}/members/${nurseRow}/role`, { teamRole: 'School nurse', duties: 'Health review; sleep advice', rowVersion: seenByNurse })).statusCode, 303)
    const stale = await dsl.post(`${team}/members/${nurseRow}/role`, { teamRole: 'Health lead', duties: 'Attend every meeting', rowVersion: seenByLead })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else changed this/)
    assert.match(stale.body, /saved a change to Claire Dawson’s role and duties/)
    assert.match(stale.body, /Health review; sleep advice/, 'their version')
    assert.match(stale.body, /Attend every meeting/, 'yours')
    let row = await db.selectFrom('tac_member').select(['team_role', 'duties', 'row_version']).where('id', '=', nurseRow).executeTakeFirstOrThrow()
    assert.deepEqual([row.team_role, row.duties], ['School nurse', 'Health review; sleep advice'], 'the first save is kept')
    const audit = await db.selectFrom('audit_event').select(['outcome', 'details']).where('action', '=', 'tac.role').orderBy('id').execute()
    assert.deepEqual(audit.map((a) => a.outcome), ['success', 'refused'])

    // saving again from the conflict page (it carries the current version) succeeds
    const retry = /name="rowVersion" value="(\d+)"/.exec(stale.body)![1]!
    assert.equal(Number(retry), row.row_version)
    assert.equal((await dsl.post(`${team}/members/${nurseRow}/role`, { teamRole: 'Health lead', duties: 'Health review; sleep advice; attend every meeting', rowVersion: retry })).statusCode, 303)
    row = await db.selectFrom('tac_member').select(['team_role', 'duties', 'row_version']).where('id', '=', nurseRow).executeTakeFirstOrThrow()
    assert.deepEqual([row.team_role, row.duties, row.row_version], ['Health lead', 'Health review; sleep advice; attend every meeting', Number(retry) + 1])
    assert.equal(versionIn((await dsl.get(team)).body), String(row.row_version), 'the page carries the new version')
  })
})
