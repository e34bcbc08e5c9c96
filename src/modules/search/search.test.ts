import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('person search', (ctx) => {
  let pupil: { id: string; given_name: string; family_name: string; date_of_birth: string | null }
  let stranger: { id: string; given_name: string; family_name: string }

  it('finds a pupil by a misspelt name and date of birth (day and month transposed)', async () => {
    pupil = await ctx.s.t.db
      .selectFrom('child as c')
      .innerJoin('relationship as r', 'r.child_id', 'c.id')
      .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth'])
      .where('r.type', '=', 'pupil_at')
      .where('r.holder_agency_id', '=', id('agency:brookside'))
      .where('c.given_name', '<>', 'Unborn')
      .executeTakeFirstOrThrow()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const typo = pupil.given_name.slice(0, -1) + 'x' + ' ' + pupil.family_name
    const [y, m, d] = pupil.date_of_birth!.split('-')
    const swapped = Number(d) <= 12 ? `${y}-${d}-${m}` : pupil.date_of_birth!
    const res = await dsl.get(`/api/v1/search?name=${encodeURIComponent(typo)}&dob=${swapped}`)
    assert.equal(res.statusCode, 200)
    const data = (JSON.parse(res.body) as { data: { id: string }[] }).data
    assert.ok(data.slice(0, 5).some((c) => c.id === pupil.id), 'top 5 has the child')
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['details', 'child_ids']).where('action', '=', 'child.search').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal((audit.details as { name: string }).name, typo)
  })

  it('returns only children in reach; the front door searches the identity index and sees identity only', async () => {
    stranger = await ctx.s.t.db
      .selectFrom('child as c')
      .select(['c.id', 'c.given_name', 'c.family_name'])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('relationship as r').select('r.id').whereRef('r.child_id', '=', 'c.id').where('r.holder_agency_id', '=', id('agency:brookside')))))
      .where('c.given_name', '<>', 'Unborn')
      .executeTakeFirstOrThrow()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const q = `/api/v1/search?name=${encodeURIComponent(`${stranger.given_name} ${stranger.family_name}`)}`
    const mine = (JSON.parse((await dsl.get(q)).body) as { data: { id: string }[] }).data
    assert.ok(!mine.some((c) => c.id === stranger.id))
    const fd = await ctx.s.signIn('frontdoor')
    const all = (JSON.parse((await fd.get(q)).body) as { data: { id: string; identityOnly: boolean }[] }).data
    const hit = all.find((c) => c.id === stranger.id)
    assert.ok(hit)
    assert.equal(hit.identityOnly, true)
    const page = await fd.get(`/search?name=${encodeURIComponent(`${stranger.given_name} ${stranger.family_name}`)}`)
    assert.doesNotMatch(page.body, new RegExp(`href="/children/${stranger.id}"`))
    // what the search covers is said whether or not anything is found: nothing found is nothing in the partnership
    for (const url of ['/search', '/search?name=Qwxzvbn+Plokmijn']) {
      const body = (await fd.get(url)).body
      assert.match(body, /searching the partnership's identity index|searching the partnership&#39;s identity index/, url)
      assert.doesNotMatch(body, /Searches the children you have a current reason to see/, url)
    }
    assert.match((await dsl.get('/search?name=Qwxzvbn+Plokmijn')).body, /Searches the children you have a current reason to see/)
  })

  it('searching for a form (?for=): links back to it only for a form the practitioner may use, a child in reach, and well-formed ids', async () => {
    const name = (c: { given_name: string; family_name: string }) => encodeURIComponent(`${c.given_name} ${c.family_name}`)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const forDsl = await dsl.get(`/search?for=referral&child=${encodeURIComponent('"><b>x')}&name=${name(pupil)}`)
    assert.match(forDsl.body, new RegExp(`href="/referrals/new\\?child=${pupil.id}">Refer this child`))
    assert.doesNotMatch(forDsl.body, /<b>x/)
    assert.match(forDsl.body, /<a href="\/referrals\/new" class="govuk-back-link">/)
    // a teacher does not refer: the search is the plain search
    const teacher = await ctx.s.signIn('teacher.brookside')
    const forTeacher = await teacher.get(`/search?for=referral&name=${name(pupil)}`)
    assert.match(forTeacher.body, new RegExp(`href="/children/${pupil.id}"`))
    assert.doesNotMatch(forTeacher.body, /Refer this child|name="for"/)
    // the front door's identity-only match is a child to choose for the referral it records (a call about a child it
    // does not yet reach: src/modules/referrals), and for no other form; still identity only, no link to the record
    const fd = await ctx.s.signIn('frontdoor')
    const forFd = await fd.get(`/search?for=referral&name=${name(stranger)}`)
    assert.match(forFd.body, new RegExp(`${stranger.given_name} ${stranger.family_name}`))
    assert.match(forFd.body, new RegExp(`href="/referrals/new\\?child=${stranger.id}">Refer this child`))
    assert.doesNotMatch(forFd.body, new RegExp(`href="/children/${stranger.id}"`))
    const concernFd = await fd.get(`/search?for=concern&name=${name(stranger)}`)
    assert.match(concernFd.body, /name="for" value="concern"/, 'the front door may raise a concern: the search chooses for it')
    assert.doesNotMatch(concernFd.body, new RegExp(`/concerns/new\\?child=${stranger.id}`))
  })

  it('a name or date of birth sent twice is refused, naming the field, never searched as the two joined', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const searches = async () => (await ctx.s.t.db.selectFrom('audit_event').select('id').where('action', '=', 'child.search').execute()).length
    const before = await searches()
    const api = await dsl.get('/api/v1/search?name=Amy&name=Smith')
    assert.equal(api.statusCode, 400)
    assert.match(String(api.headers['content-type']), /^application\/problem\+json/)
    assert.deepEqual((api.json() as { 'invalid-params': { name: string; reason: string }[] })['invalid-params'], [{ name: 'name', reason: 'The name was sent more than once: enter it once' }])
    const dob = await dsl.get('/api/v1/search?name=Amy&dob=2015-01-01&dob=2015-01-02')
    assert.equal(dob.statusCode, 400)
    assert.deepEqual((dob.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name), ['dob'])
    const page = await dsl.get('/search?name=Amy&name=Smith')
    assert.equal(page.statusCode, 400)
    assert.match(page.body, /govuk-error-summary[\s\S]*The name was sent more than once/)
    assert.equal(await searches(), before, 'nothing searched')
  })

  it('bad input and injection attempts are answered, never a 500', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    assert.equal((await dsl.get('/search?name=&dob=')).statusCode, 400)
    assert.equal((await dsl.get('/search?dob=2020-13-45')).statusCode, 400)
    for (const bad of ["'; drop table child; --", '%', '\\', "Robert'); --", '_'.repeat(200)]) {
      const r = await dsl.get(`/search?name=${encodeURIComponent(bad)}`)
      assert.ok(r.statusCode === 200 || r.statusCode === 400, `${bad}: ${r.statusCode}`)
    }
  })
})
