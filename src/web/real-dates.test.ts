// Impossible dates and out-of-range numbers through the app: a 400 naming the field (GOV.UK error summary on pages,
// problem+json in the API), never a 500 from the database nor a date silently saved as another day.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../test/support/app.ts'
import { makeTac, membershipOf, pupilOf } from '../../test/support/tac.ts'
import { stableUuid } from '../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')
/** The error summary links the message to the field. */
const linked = (body: string, href: string, text: RegExp) => {
  assert.match(body, /govuk-error-summary/)
  const m = new RegExp(`<a href="${href}"[^>]*>([^<]*)</a>`).exec(body)
  assert.ok(m, `the error summary links ${href}`)
  assert.match(m[1]!.replace(/&#39;|&rsquo;/g, '’').replace(/&ldquo;|&#8220;/g, '“').replace(/&rdquo;|&#8221;/g, '”'), text)
}

describeApp('real dates and sensible numbers, everywhere they are typed', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string

  it('search: an impossible date of birth is a 400 naming the field, on the page and in the API', async () => {
    childId = await pupilOf(db(), 'brookside')
    const teacher = await ctx.s.signIn('teacher.brookside')
    for (const dob of ['2026-02-30', '0000-01-01', '2026-13-01']) {
      const page = await teacher.get(`/search?name=&dob=${dob}`)
      assert.equal(page.statusCode, 400, dob)
      linked(page.body, '#dob', /Date of birth must be a real date/)
      const api = await teacher.get(`/api/v1/search?dob=${dob}`)
      assert.equal(api.statusCode, 400, dob)
      assert.match(String(api.headers['content-type']), /application\/problem\+json/)
      assert.match(JSON.parse(api.body).detail, /Date of birth must be a real date/)
    }
    assert.equal((await teacher.get('/search?dob=0001-01-01')).statusCode, 400, 'year 1: outside 1900 to 2100')
    assert.equal((await teacher.get('/api/v1/search?dob=2016-02-29')).statusCode, 200)
  })

  it('chronology: impossible from/to dates and page numbers beyond the cap are a 400 (page, CSV), not a 500', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const q of ['from=2026-02-30', 'to=0000-01-01', 'from=2026-11-31&to=2026-12-01']) {
      const page = await dsl.get(`/children/${childId}/chronology?${q}`)
      assert.equal(page.statusCode, 400, q)
      linked(page.body, q.startsWith('to') ? '#to' : '#from', /must be a real date/)
      for (const format of ['csv', 'pdf']) {
        // a download's filter typed wrong is the GOV.UK error page (with the way back), not a text file
        const download = await dsl.get(`/children/${childId}/chronology.${format}?${q}`)
        assert.equal(download.statusCode, 400, `${format} ${q}`)
        assert.match(String(download.headers['content-type']), /^text\/html/)
        assert.match(download.body, /There is a problem with the filter[\s\S]*must be a real date/)
        assert.match(download.body, new RegExp(`href="/children/${childId}/chronology" class="govuk-back-link"`))
      }
    }
    for (const p of ['1e9', '99999999999', '1e400', '10001', '1.5', '-1']) {
      const page = await dsl.get(`/children/${childId}/chronology?page=${p}`)
      assert.equal(page.statusCode, 400, `page=${p}`)
      assert.match(page.body, /Enter a page number from 1 to 10,000/)
    }
    assert.equal((await dsl.get(`/children/${childId}/chronology?page=10000`)).statusCode, 200, 'within the cap: an empty page, as before')
    assert.equal((await dsl.get(`/children/${childId}/chronology.csv?page=1e400`)).statusCode, 200, 'an export holds every page: page is not read')
  })

  it('the access log and the unusual-access report: impossible dates and huge page numbers are a 400', async () => {
    const ig = await ctx.s.signIn('ig')
    for (const q of ['from=2026-02-30', 'to=0000-01-01']) {
      const log = await ig.get(`/children/${childId}/access-log?${q}`)
      assert.equal(log.statusCode, 400, q)
      linked(log.body, q.startsWith('to') ? '#to' : '#from', /must be a real date/)
      const report = await ig.get(`/governance/access-report?${q}`)
      assert.equal(report.statusCode, 400, q)
      linked(report.body, q.startsWith('to') ? '#to' : '#from', /must be a real date/)
    }
    for (const p of ['1e400', '99999999999', '1e9']) {
      const log = await ig.get(`/children/${childId}/access-log?page=${p}`)
      assert.equal(log.statusCode, 400, p)
      assert.match(log.body, /Enter a page number from 1 to 10,000/)
    }
    assert.equal((await ig.get(`/children/${childId}/access-log?page=2`)).statusCode, 200)
  })

  it('the entries API: an offset that is not a whole number up to 1,000,000 is a 400 problem', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const offset of ['1e20', '1e400', '99999999999', '-5', '1.5']) {
      const r = await dsl.get(`/api/v1/children/${childId}/entries?offset=${offset}`)
      assert.equal(r.statusCode, 400, offset)
      assert.match(String(r.headers['content-type']), /application\/problem\+json/)
      assert.equal(JSON.parse(r.body)['invalid-params'][0].name, 'offset')
    }
    const ok = await dsl.get(`/api/v1/children/${childId}/entries?offset=1000000`)
    assert.equal(ok.statusCode, 200)
    assert.equal(JSON.parse(ok.body).meta.offset, 1_000_000)
  })

  it('the entries API: a limit that is not a whole number from 1 to 200 is a 400 problem, not a database error', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const limit of ['2.5', '0', '-1', '201', '1e3', 'abc', '']) {
      const r = await dsl.get(`/api/v1/children/${childId}/entries?limit=${limit}`)
      if (limit === '') {
        assert.equal(JSON.parse(r.body).meta.limit, 50, 'empty: the default')
        continue
      }
      assert.equal(r.statusCode, 400, limit)
      assert.match(String(r.headers['content-type']), /application\/problem\+json/)
      assert.equal(JSON.parse(r.body)['invalid-params'][0].name, 'limit')
    }
    const ok = await dsl.get(`/api/v1/children/${childId}/entries?limit=200`)
    assert.equal(JSON.parse(ok.body).meta.limit, 200)
  })

  it('a concern: an impossible date it happened or date of birth is refused, never saved as another day', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const count = async () => Number((await db().selectFrom('concern').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const before = await count()
    const base = { children: [childId], category: 'neglect', seenOrHeard: 'Hungry again.', immediateDanger: 'no' }
    for (const [field, value, message] of [
      ['occurredDate', '2026-02-30', /The date it happened must be a real date/],
      ['occurredDate', '0001-01-01', /The date it happened must be between 1 January 1900 and 31 December 2100/],
      ['occurredDate', '2026-11-31', /The date it happened must be a real date/],
    ] as const) {
      await teacher.get('/concerns/new')
      const r = await teacher.post('/concerns', { ...base, idempotencyKey: randomUUID(), [field]: value })
      assert.equal(r.statusCode, 400, `${field}=${value}`)
      linked(r.body, `#${field}`, message)
      assert.doesNotMatch(r.body, /cannot be in the future/)
    }
    for (const dob of ['2026-02-30', '0000-01-01']) {
      const r = await teacher.post('/concerns', { ...base, children: [], newChildGivenName: 'Robin', newChildFamilyName: 'Newcome', newChildDob: dob, idempotencyKey: randomUUID(), occurredDate: '2026-11-20' })
      assert.equal(r.statusCode, 400, dob)
      linked(r.body, '#newChildDob', /Date of birth must be a real date/)
    }
    assert.equal(await count(), before, 'nothing saved')
  })

  it('the API: a new child’s impossible or future date of birth is a 400 problem naming newChild.dateOfBirth, checked as the page checks it', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const token = JSON.parse((await teacher.get('/api/v1/me')).body).csrfToken
    const future = await teacher.postJson('/api/v1/concerns', { children: [], newChild: { givenName: 'A', familyName: '', dateOfBirth: '2061-05-01' }, category: 'neglect', seenOrHeard: 'x', occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() }, { 'x-csrf-token': token, 'idempotency-key': randomUUID() })
    assert.equal(future.statusCode, 400, future.body)
    assert.deepEqual(JSON.parse(future.body)['invalid-params'], [
      { name: 'newChild.familyName', reason: 'Enter the last name of the child not yet known' },
      { name: 'newChild.dateOfBirth', reason: 'Date of birth must be today or in the past' },
    ])
    for (const dob of ['2026-02-30', '0000-01-01', '0001-01-01']) {
      const r = await teacher.postJson('/api/v1/concerns', { children: [], newChild: { givenName: 'A', familyName: 'B', dateOfBirth: dob }, category: 'neglect', seenOrHeard: 'x', occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() }, { 'x-csrf-token': token, 'idempotency-key': randomUUID() })
      assert.equal(r.statusCode, 400, dob)
      const body = JSON.parse(r.body)
      assert.ok(body['invalid-params'].some((p: { name: string; reason: string }) => p.name === 'newChild.dateOfBirth' && /Date of birth must be/.test(p.reason)), r.body)
    }
  })

  it('exploitation: another child’s impossible date of birth is a 400 naming the field, not a 500', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    await dsl.get(`/children/${childId}/exploitation`)
    for (const dob of ['2026-13-01', '2026-02-30', '0000-01-01']) {
      const r = await dsl.post(`/children/${childId}/exploitation/links`, { kind: 'child', linkedName: 'Someone Else', linkedDob: dob })
      assert.equal(r.statusCode, 400, dob)
      linked(r.body, '#linkedDob', /The other child’s date of birth must be a real date/)
    }
  })

  it('a statutory visit and an Encompass notice: an impossible date is refused, not moved to the next month', async () => {
    const sw = await ctx.s.signIn('sw.north')
    const alloc = await db().selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', membershipOf('sw.north')).where('ends_at', 'is', null).executeTakeFirst()
    const visitChild = alloc!.child_id
    await sw.get(`/children/${visitChild}/visits`)
    for (const d of ['2026-09-31', '2026-02-30']) {
      const r = await sw.post(`/children/${visitChild}/visits`, { visitedDate: d, visitedTime: '11:00', childSeen: 'yes', seenAlone: 'yes' })
      assert.equal(r.statusCode, 400, d)
      linked(r.body, '#visitedDate', /The date of the visit must be a real date/)
    }
    const other = await pupilOf(db(), 'brookside', 1)
    await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: other, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'Named in an incident', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    const officer = await ctx.s.signIn('police.mash')
    await officer.get('/encompass/new')
    for (const d of ['2026-00-45', '2026-11-31', '2026-02-30']) {
      const r = await officer.post('/encompass', { idempotencyKey: randomUUID(), children: [other], incidentDate: d, incidentTime: '21:40', summary: 'Police attended.' })
      assert.equal(r.statusCode, 400, d)
      linked(r.body, '#incidentDate', /The date of the incident must be a real date/)
      assert.doesNotMatch(r.body, /cannot be in the future/)
    }
  })

  it('plan versions: a version number beyond the database’s integer is the 400 “choose two versions”, not a 500', async () => {
    const tacId = await makeTac(db(), { childIds: [await pupilOf(db(), 'brookside', 2)], lead: 'sw.north', members: ['nurse'] })
    const sw = await ctx.s.signIn('sw.north')
    for (const q of ['from=99999999999', 'from=1e400', 'from=0&to=99999999999', 'from=1.5']) {
      const r = await sw.get(`/teams/${tacId}/plan/versions?${q}`)
      assert.equal(r.statusCode, 400, q)
      assert.match(r.body, /Choose two versions of this plan to compare/)
    }
  })

  it('settings: impossible bank holiday, term and closure dates are refused, linked to their field', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    for (const d of ['2026-02-30', '0000-01-01']) {
      const r = await admin.post('/settings/bank-holidays', { date: d, name: 'Not a day' })
      assert.equal(r.statusCode, 400, d)
      linked(r.body, '#bh-date', /The date of the bank holiday must be a real date/)
      assert.match(r.body, /govuk-error-message/)
    }
    const school = await ctx.s.signIn('admin.brookside')
    await school.get('/settings')
    const term = await school.post('/settings/terms', { name: 'Odd', startsOn: '2027-02-30', endsOn: '2027-03-01' })
    assert.equal(term.statusCode, 400)
    linked(term.body, '#startsOn', /The first day of the term must be a real date/)
    const closure = await school.post('/settings/closures', { date: '2026-11-31', reason: 'Snow' })
    assert.equal(closure.statusCode, 400)
    linked(closure.body, '#closure-date', /The closure date must be a real date/)
  })

  it('concern categories: a name with no letters, or the code of an existing category, is refused (never an empty code, never a rename)', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    const categories = () => db().selectFrom('concern_category').select(['code', 'label', 'active']).where('partnership_id', '=', P).orderBy('code').execute()
    const before = await categories()
    const neglect = before.find((c) => c.code === 'neglect')!
    for (const [label, message] of [
      ['!!!', /Enter a category name that includes letters or numbers/],
      ['???', /Enter a category name that includes letters or numbers/],
      ['Neglect!!', new RegExp(`There is already a category called “${neglect.label}”`)],
      ['  NEGLECT ', /There is already a category called/],
    ] as const) {
      const r = await admin.post('/settings/categories', { label })
      assert.equal(r.statusCode, 400, label)
      linked(r.body, '#label', message)
    }
    assert.deepEqual(await categories(), before, 'nothing added, nothing renamed')
    assert.equal((await admin.post('/settings/categories', { label: 'Private fostering' })).statusCode, 303)
    assert.equal((await categories()).length, before.length + 1)
    // letters outside A to Z are a name (as a rename allows), under a code of its own
    assert.equal((await admin.post('/settings/categories', { label: 'Ŵŷ' })).statusCode, 303)
    assert.deepEqual((await categories()).filter((c) => c.label === 'Ŵŷ').map((c) => c.code), ['category'])
  })
})
