import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { stableUuid } from '../../data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

/** Signs in and takes the CSRF token from GET /api/v1/me, as an integration would. */
async function apiClient(agent: Agent) {
  const me = await agent.get('/api/v1/me')
  assert.equal(me.statusCode, 200)
  const token = (me.json() as { csrfToken: string }).csrfToken
  return {
    me: me.json() as { role: string; agency: string; csrfToken: string },
    get: (url: string) => agent.get(url),
    post: (url: string, body: unknown = {}, headers: Record<string, string> = {}) => agent.postJson(url, body, { 'x-csrf-token': token, ...headers }),
    /** A POST of JSON text exactly as given (JSON.stringify cannot write a key twice). */
    postText: (url: string, text: string, headers: Record<string, string> = {}) =>
      agent.app.inject({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/json', cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': token, ...headers } }),
    /** A create: with a fresh Idempotency-Key unless one is given. */
    create: (url: string, body: unknown = {}, key: string = randomUUID()) => agent.postJson(url, body, { 'x-csrf-token': token, 'idempotency-key': key }),
    /** An update of the record read at `readUrl`: its ETag goes in If-Match. */
    async update(readUrl: string, url: string, body: unknown = {}) {
      const read = await agent.get(readUrl)
      assert.equal(read.statusCode, 200, `read ${readUrl}`)
      return agent.postJson(url, body, { 'x-csrf-token': token, 'if-match': String(read.headers.etag) })
    },
  }
}

// Monday 23 November 2026, 10:00 London: a working day.
describeApp('the JSON API: concern → triage → referral → front-door decision → the referrer sees the rationale', (ctx) => {
  let childId: string
  let concernId: string
  let referralId: string

  it('who am I, and the CSRF token every POST carries; without it a POST is refused and nothing is saved', async () => {
    childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    assert.equal(teacher.me.role, 'teacher')
    assert.equal(teacher.me.agency, 'Brookside Primary School')
    const before = (await ctx.s.t.db.selectFrom('concern').select('id').execute()).length
    const agent = await ctx.s.signIn('teacher.brookside')
    const res = await ctx.s.app.inject({ method: 'POST', url: '/api/v1/concerns', payload: { children: [childId] }, headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
    assert.equal(res.statusCode, 403)
    assert.match(String(res.headers['content-type']), /application\/problem\+json/)
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').execute()).length, before)
    const anon = await ctx.s.app.inject({ method: 'GET', url: '/api/v1/me' })
    assert.equal(anon.statusCode, 401)
    assert.equal((anon.json() as { status: number }).status, 401)
  })

  it('a teacher sends a concern once, however often it is sent; bad input is listed field by field and saves nothing', async () => {
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    const before = (await ctx.s.t.db.selectFrom('concern').select('id').execute()).length
    const bad = await teacher.post('/api/v1/concerns', { children: ['not-a-uuid'], category: '', seenOrHeard: '', occurredAt: '23/11/2026', immediateDanger: 'no', idempotencyKey: 'x', extra: 1 })
    assert.equal(bad.statusCode, 400)
    assert.match(String(bad.headers['content-type']), /application\/problem\+json/)
    const names = (bad.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name)
    for (const n of ['children.0', 'category', 'seenOrHeard', 'occurredAt', 'immediateDanger', 'idempotencyKey']) assert.ok(names.includes(n), `${n} is listed: ${names.join(', ')}`)
    const future = await teacher.post('/api/v1/concerns', { children: [childId], category: 'neglect', seenOrHeard: 'x', occurredAt: '2027-01-01T10:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() })
    assert.equal(future.statusCode, 400)
    const ancient = await teacher.post('/api/v1/concerns', { children: [childId], category: 'neglect', seenOrHeard: 'x', occurredAt: '0001-01-01T10:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() })
    assert.equal(ancient.statusCode, 400)
    assert.deepEqual((ancient.json() as { 'invalid-params': { name: string; reason: string }[] })['invalid-params'], [{ name: 'occurredAt', reason: 'Must be a date from 1 January 1900' }])
    // a category not on the partnership's list is bad input naming the field (only the database knows the list)
    const unknown = await teacher.post('/api/v1/concerns', { children: [childId], category: 'nonsense', seenOrHeard: 'x', occurredAt: '2026-11-20T10:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() })
    assert.equal(unknown.statusCode, 400)
    assert.deepEqual((unknown.json() as { 'invalid-params': { name: string; reason: string }[] })['invalid-params'], [{ name: 'category', reason: 'Choose a category from the list' }])
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').execute()).length, before)

    const body = {
      children: [childId],
      category: 'physical_abuse',
      seenOrHeard: 'Bruising to both upper arms.',
      childWords: 'Dad grabbed me hard',
      occurredAt: '2026-11-23T09:10:00Z',
      immediateDanger: false,
      bodyMap: [{ view: 'front', region: 'left_arm', description: 'Four oval bruises', x: 120, y: 300 }],
      idempotencyKey: randomUUID(),
    }
    const [a, b] = await Promise.all([teacher.post('/api/v1/concerns', body), teacher.post('/api/v1/concerns', body)])
    const first = a.statusCode === 201 ? a : b
    const second = first === a ? b : a
    assert.equal(first.statusCode, 201)
    assert.ok(second.statusCode === 409 || (second.statusCode === 201 && second.headers['idempotent-replayed'] === 'true'), `the second, sent at once, is told to retry or gets the first response: ${second.statusCode}`)
    const made = first.json() as { concerns: { id: string; childId: string }[] }
    assert.equal(made.concerns.length, 1)
    concernId = made.concerns[0]!.id
    const replay = await teacher.post('/api/v1/concerns', body)
    assert.equal(replay.statusCode, 201, 'the same key and body: the same response')
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.equal(replay.body, first.body)
    // the answer sent again names the child: its sending is audited against the child, pointing at the request that made it
    const replays = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'child_ids', 'entity_type', 'entity_id', 'details', 'actor_practitioner_id']).where('action', '=', 'api.replay').orderBy('id', 'desc').execute()
    assert.ok(replays.length >= 1)
    const r0 = replays[0]!
    assert.deepEqual([r0.outcome, r0.child_ids, r0.entity_type, r0.actor_practitioner_id], ['success', [childId], 'request', id('practitioner:teacher.brookside')])
    assert.deepEqual(r0.details, { method: 'POST', path: '/api/v1/concerns', status: 201 })
    const made0 = await ctx.s.t.db.selectFrom('audit_event').select('action').where('request_id', '=', r0.entity_id!).where('action', '=', 'concern.create').execute()
    assert.equal(made0.length, 1, 'the replay points at the request that made the concern')
    assert.equal((await ctx.s.t.db.selectFrom('concern').select('id').execute()).length, before + 1)
    const entry = await ctx.s.t.db.selectFrom('entry').select(['type', 'child_id']).where('detail_id', '=', concernId).executeTakeFirstOrThrow()
    assert.equal(entry.child_id, childId)
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'child_ids']).where('action', '=', 'concern.create').where('outcome', '=', 'success').orderBy('id', 'desc').limit(2).execute()
    assert.ok(audit.every((a) => a.child_ids.includes(childId)), 'the submission is audited against the child')
    const mine = await teacher.get(`/api/v1/concerns/${concernId}`)
    assert.equal(mine.statusCode, 200)
    const view = mine.json() as { concern: { childWords: string; bodyMap: { region: string }[] }; canTriage: boolean }
    assert.equal(view.concern.childWords, 'Dad grabbed me hard')
    assert.equal(view.concern.bodyMap[0]!.region, 'left_arm')
    assert.equal(view.canTriage, false)
  })

  it('the DSL triages with reasons; another school’s DSL gets the same 404 as a concern that does not exist', async () => {
    const dsl = await apiClient(await ctx.s.signIn('dsl.brookside'))
    const queue = (await dsl.get('/api/v1/triage')).json() as { concerns: { id: string }[] }
    assert.ok(queue.concerns.some((c) => c.id === concernId))
    assert.equal((await dsl.update(`/api/v1/concerns/${concernId}`, `/api/v1/concerns/${concernId}/triage`, { actions: ['refer_front_door'], outcome: 'escalated' })).statusCode, 400)
    // an action named twice (or fifty thousand times) is bad input, not a decision saved with its text repeated
    for (const actions of [['police', 'police'], Array.from({ length: 50_000 }, () => 'police')]) {
      const twice = await dsl.update(`/api/v1/concerns/${concernId}`, `/api/v1/concerns/${concernId}/triage`, { actions, outcome: 'escalated', reasons: 'Reasons.' })
      assert.equal(twice.statusCode, 400)
      assert.equal(twice.json()['invalid-params'][0].name, 'actions')
    }
    const done = await dsl.update(`/api/v1/concerns/${concernId}`, `/api/v1/concerns/${concernId}/triage`, { actions: ['refer_front_door'], outcome: 'escalated', reasons: 'Injury with a disclosure: threshold for a referral is met.' })
    assert.equal(done.statusCode, 201)
    assert.match(String(done.headers.etag), /^"\d+"$/, 'the new version comes back')
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    const seen = (await teacher.get(`/api/v1/concerns/${concernId}`)).json() as { triage: { reasons: string }[] }
    assert.match(seen.triage[0]!.reasons, /threshold for a referral is met/)

    const other = await apiClient(await ctx.s.signIn('dsl.academy'))
    const hidden = await other.get(`/api/v1/concerns/${concernId}`)
    const absent = await other.get(`/api/v1/concerns/${randomUUID()}`)
    assert.equal(hidden.statusCode, 404)
    assert.equal(hidden.body, absent.body)
    assert.equal((await other.post(`/api/v1/concerns/${concernId}/triage`, { actions: ['monitor'], outcome: 'monitor', reasons: 'x' }, { 'if-match': '"1"' })).statusCode, 404)
  })

  it('the DSL refers; the front door acknowledges, checks and decides; the referrer sees the decision and rationale, never the checks', async () => {
    const dsl = await apiClient(await ctx.s.signIn('dsl.brookside'))
    const referral = {
      children: [childId],
      kind: 'referral',
      reason: 'Bruising to both upper arms; she said dad grabbed her hard.',
      levelBelieved: 4,
      levelReason: 'Physical injury with a disclosure',
      parentsKnow: false,
      urgency: 'today',
      concernIds: [concernId],
      idempotencyKey: randomUUID(),
    }
    const missing = await dsl.create('/api/v1/referrals', referral)
    assert.equal(missing.statusCode, 400, 'parents not told needs a reason')
    assert.deepEqual((missing.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name), ['parentsNotToldReason'])
    const sent = await dsl.create('/api/v1/referrals', { ...referral, parentsNotToldReason: 'Telling dad could put her at risk' })
    assert.equal(sent.statusCode, 201)
    referralId = (sent.json() as { referrals: { id: string }[] }).referrals[0]!.id
    const waiting = (await dsl.get(`/api/v1/referrals/${referralId}`)).json() as { referral: { status: string; decision: null; decisionDueBy: string } }
    assert.equal(waiting.referral.status, 'received')
    assert.equal(waiting.referral.decision, null)
    assert.equal(new Date(waiting.referral.decisionDueBy).toISOString(), '2026-11-24T17:00:00.000Z')

    const fd = await apiClient(await ctx.s.signIn('frontdoor'))
    const q = (await fd.get('/api/v1/front-door/queue')).json() as { referrals: { id: string }[] }
    assert.ok(q.referrals.some((r) => r.id === referralId))
    const work = `/api/v1/front-door/referrals/${referralId}`
    assert.equal((await fd.update(work, `${work}/acknowledge`)).statusCode, 200)
    const again = await fd.update(work, `${work}/acknowledge`)
    assert.equal(again.statusCode, 409)
    assert.match((again.json() as { detail: string }).detail, /already been acknowledged/)
    assert.equal((await fd.create(`${work}/checks`, { agency: 'Police', finding: 'Two domestic incidents at the address this year.' })).statusCode, 200)
    assert.equal((await fd.update(work, `${work}/decision`, { decision: 's17', levelFound: 3, rationale: '' })).statusCode, 400)
    assert.equal((await fd.update(work, `${work}/decision`, { decision: 's17', levelFound: 3, rationale: 'Needs a child-in-need assessment: injury, disclosure and domestic abuse history.' })).statusCode, 200)

    const status = await dsl.get(`/api/v1/referrals/${referralId}`)
    const s = status.json() as { referral: { decision: string; rationale: string; levelFound: number }; canChallenge: boolean }
    assert.equal(s.referral.decision, 's17')
    assert.match(s.referral.rationale, /child-in-need assessment/)
    assert.equal(s.referral.levelFound, 3)
    assert.equal(s.canChallenge, true)
    assert.doesNotMatch(status.body, /domestic incidents at the address/, 'the front door’s checks are not shown to the referrer')

    // the teacher who raised the concern did not make the referral: it is not theirs to follow, but their
    // concern shows the decision and its rationale
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    assert.equal((await teacher.get(`/api/v1/referrals/${referralId}`)).statusCode, 404)
    const concern = (await teacher.get(`/api/v1/concerns/${concernId}`)).json() as { referrals: { decision: string; rationale: string }[] }
    assert.equal(concern.referrals[0]!.decision, 's17')
    assert.match(concern.referrals[0]!.rationale, /child-in-need assessment/)
  })

  it('the referrer challenges; the manager answers; the referrer sees the answer', async () => {
    const dsl = await apiClient(await ctx.s.signIn('dsl.brookside'))
    assert.equal((await dsl.create(`/api/v1/referrals/${referralId}/challenge`, { reason: '' })).statusCode, 400)
    assert.equal((await dsl.create(`/api/v1/referrals/${referralId}/challenge`, { reason: 'We think this meets s47: the injury pattern is non-accidental.' })).statusCode, 201)
    assert.equal((await dsl.create(`/api/v1/referrals/${referralId}/challenge`, { reason: 'Again' })).statusCode, 409)
    const manager = await apiClient(await ctx.s.signIn('manager.frontdoor'))
    const work = `/api/v1/front-door/referrals/${referralId}`
    assert.equal((await manager.update(work, `${work}/challenge-answer`, { upheld: false, response: 'A strategy discussion is not needed: the assessment starts today with a joint visit.' })).statusCode, 200)
    const s = (await dsl.get(`/api/v1/referrals/${referralId}`)).json() as { challenges: { status: string; response: string }[] }
    assert.match(s.challenges[0]!.response, /joint visit/)
  })

  it('every create needs an Idempotency-Key (same key, other body → 422); every update needs If-Match (missing → 428, stale → 412, nothing changed)', async () => {
    const dsl = await apiClient(await ctx.s.signIn('dsl.brookside'))
    const noKey = await dsl.post(`/api/v1/referrals/${referralId}/challenge`, { reason: 'A reason' })
    assert.equal(noKey.statusCode, 400)
    assert.match((noKey.json() as { title: string }).title, /Idempotency-Key required/)
    const key = randomUUID()
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    const body = { children: [childId], category: 'neglect', seenOrHeard: 'Came in hungry again.', occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, idempotencyKey: randomUUID() }
    const made = await teacher.create('/api/v1/concerns', body, key)
    assert.equal(made.statusCode, 201)
    const count = async () => (await ctx.s.t.db.selectFrom('concern').select('id').execute()).length
    const n = await count()
    const other = await teacher.create('/api/v1/concerns', { ...body, seenOrHeard: 'Something else' }, key)
    assert.equal(other.statusCode, 422)
    assert.match(String(other.headers['content-type']), /application\/problem\+json/)
    assert.equal(await count(), n, 'nothing saved')
    const newId = (made.json() as { concerns: { id: string }[] }).concerns[0]!.id
    // a body refused as invalid (400: nothing was done) does not use up its key: corrected, it is sent with the same key
    const freshKey = randomUUID()
    const invalid = await teacher.create('/api/v1/concerns', { ...body, idempotencyKey: randomUUID(), seenOrHeard: '' }, freshKey)
    assert.equal(invalid.statusCode, 400)
    const correctedBody = { ...body, idempotencyKey: randomUUID(), seenOrHeard: 'Came in hungry, and said so.' }
    const corrected = await teacher.create('/api/v1/concerns', correctedBody, freshKey)
    assert.equal(corrected.statusCode, 201, corrected.body.slice(0, 300))
    assert.equal(await count(), n + 1)
    // and the success is kept for the key, as always
    const replayed = await teacher.create('/api/v1/concerns', correctedBody, freshKey)
    assert.deepEqual([replayed.statusCode, replayed.headers['idempotent-replayed']], [201, 'true'])
    assert.equal(await count(), n + 1)

    const dslOwn = await apiClient(await ctx.s.signIn('dsl.brookside'))
    const url = `/api/v1/concerns/${newId}/triage`
    const triage = { actions: ['monitor'], outcome: 'monitor', reasons: 'Monitor: breakfast club offered.' }
    const none = await dslOwn.post(url, triage)
    assert.equal(none.statusCode, 428)
    assert.equal((await dslOwn.post(url, triage, { 'if-match': 'yesterday' })).statusCode, 400)
    const read = await dslOwn.get(`/api/v1/concerns/${newId}`)
    const tag = String(read.headers.etag)
    assert.equal((read.json() as { concern: { version: number } }).concern.version, Number(tag.replace(/"/g, '')))
    // someone else changes the concern (the page, not the API): the version moves on
    await ctx.s.t.db.updateTable('concern').set({ location: 'Playground' }).where('id', '=', newId).execute()
    const stale = await dslOwn.post(url, triage, { 'if-match': tag })
    assert.equal(stale.statusCode, 412)
    assert.equal((await ctx.s.t.db.selectFrom('triage_action').select('id').where('concern_id', '=', newId).execute()).length, 0, 'the stale update changed nothing')
    const refusal = await ctx.s.t.db.selectFrom('audit_event').select('outcome').where('action', '=', 'concern.triage').where('outcome', '=', 'refused').orderBy('id', 'desc').limit(1).executeTakeFirst()
    assert.equal(refusal?.outcome, 'refused', 'the stale update is audited as refused')
    const fresh = await dslOwn.update(`/api/v1/concerns/${newId}`, url, triage)
    assert.equal(fresh.statusCode, 201)
    // two clients holding the same version: only one wins
    const again = await dslOwn.get(`/api/v1/concerns/${newId}`)
    const v = String(again.headers.etag)
    const [x, y] = await Promise.all([dslOwn.post(url, triage, { 'if-match': v }), dslOwn.post(url, triage, { 'if-match': v })])
    assert.deepEqual([x.statusCode, y.statusCode].sort(), [201, 412])
  })

  it('a JSON body with a key twice in one object, at any depth, is 400 problem+json naming the key, before any handler: nothing is saved', async () => {
    const teacher = await apiClient(await ctx.s.signIn('teacher.brookside'))
    const concerns = async () => (await ctx.s.t.db.selectFrom('concern').select('id').execute()).length
    const before = await concerns()
    const body = { children: [childId], category: 'neglect', seenOrHeard: 'Came in hungry again.', occurredAt: '2026-11-23T09:00:00Z', immediateDanger: false, bodyMap: [{ view: 'front', region: 'left_arm', description: 'A bruise' }, { view: 'back', region: 'back_upper', description: 'A scratch' }], idempotencyKey: randomUUID() }
    const text = JSON.stringify(body)
    const key = randomUUID()
    const cases: [string, string, string][] = [
      // a gateway or an audit log reading the first value would see another child than the app's last
      ['top level', text.replace('{"children":', `{"children":["${randomUUID()}"],"children":`), 'children'],
      ['nested in an array of objects', text.replace('"description":"A bruise"', '"description":"A bruise","description":"No mark"'), 'bodyMap.0.description'],
      // the same key written with an escape is the same key
      ['written with an escape', text.replace('{"children":', '{"\\u0063ategory":"sexual_abuse","children":'), 'category'],
    ]
    for (const [name, dup, path] of cases) {
      assert.ok(dup !== text, `${name}: the body was changed`)
      const res = await teacher.postText('/api/v1/concerns', dup, { 'idempotency-key': key })
      assert.equal(res.statusCode, 400, `${name}: ${res.body.slice(0, 200)}`)
      assert.match(String(res.headers['content-type']), /application\/problem\+json/, name)
      const problem = res.json() as { status: number; title: string; detail: string; 'invalid-params': { name: string; reason: string }[] }
      assert.equal(problem.status, 400)
      assert.equal(problem.title, 'Invalid request')
      assert.match(problem.detail, /more than once/)
      assert.deepEqual(problem['invalid-params'].map((p) => p.name), [path], name)
      assert.equal(await concerns(), before, `${name}: nothing saved`)
    }
    // an update: refused before the handler, the record keeps its version
    const dsl = await apiClient(await ctx.s.signIn('dsl.brookside'))
    const read = await dsl.get(`/api/v1/concerns/${concernId}`)
    const triage = await dsl.postText(`/api/v1/concerns/${concernId}/triage`, '{"actions":["monitor"],"outcome":"monitor","outcome":"closed","reasons":"Reasons."}', { 'if-match': String(read.headers.etag) })
    assert.equal(triage.statusCode, 400)
    assert.deepEqual((triage.json() as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name), ['outcome'])
    assert.equal(String((await dsl.get(`/api/v1/concerns/${concernId}`)).headers.etag), String(read.headers.etag), 'the concern is unchanged')
    // the refused bodies never claimed the Idempotency-Key: the same key with each key sent once creates the concern
    // (the body map's two marks each have a view, a region and a description: the same key in different objects)
    const ok = await teacher.postText('/api/v1/concerns', text, { 'idempotency-key': key })
    assert.equal(ok.statusCode, 201, ok.body.slice(0, 300))
    assert.equal(await concerns(), before + 1)
  })
})
