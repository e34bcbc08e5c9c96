// Bad input is always a clear error, never a 500 and never half-saved: a NUL or another control character in a
// form or JSON body (PostgreSQL cannot store NUL in text), an address the router cannot decode or a path segment
// over its length limit, and a JSON body nested thousands of levels deep. Pages answer with the GOV.UK error page,
// the API with problem+json naming the field.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { describeApp } from '../support/app.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { errorsLinkedToPage, fieldPath, MAX_BODY_DEPTH, plainFieldName, unusableInput } from '../../src/platform/http/app.ts'
import { canonical, TooDeepError } from '../../src/platform/http/api-reliability.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const PROBLEM = /^application\/problem\+json/
const HTML = /^text\/html/

describe('the body check (no database)', () => {
  it('finds control characters in strings and keys at any depth, in document order, and allows tab, CR and LF', () => {
    assert.equal(unusableInput({ a: 'tab\there', b: ['line\r\nfeed'], c: { d: 1, e: null, f: true } }), null)
    assert.equal(unusableInput('plain'), null)
    assert.equal(unusableInput(undefined), null)
    assert.deepEqual(unusableInput({ seenOrHeard: 'a\u0000b' }), { kind: 'control', path: ['seenOrHeard'] })
    assert.deepEqual(unusableInput({ ok: 'x', bodyMap: [{ description: 'fine' }, { description: 'esc\u001b' }], later: '\u0001' }), { kind: 'control', path: ['bodyMap', 1, 'description'] })
    assert.deepEqual(unusableInput({ goldenRules: { 'a\u0000': true } }), { kind: 'control', path: ['goldenRules', 'a\u0000'] })
    for (const code of [0, 1, 8, 11, 12, 14, 27, 31]) assert.ok(unusableInput({ x: `a${String.fromCharCode(code)}` }), `code ${code} is refused`)
    for (const code of [9, 10, 13, 32, 127, 0xa0]) assert.equal(unusableInput({ x: `a${String.fromCharCode(code)}` }), null, `code ${code} is allowed`)
    // half of a surrogate pair is not a character (stored, it would become U+FFFD); a whole pair (an emoji) is text
    assert.deepEqual(unusableInput({ ok: 'smile \u{1F600}', bad: ['fine', 'x\ud800y'] }), { kind: 'unpaired', path: ['bad', 1] })
    assert.deepEqual(unusableInput({ a: { '\udc00': 1 } }), { kind: 'unpaired', path: ['a', '\udc00'] })
    assert.equal(unusableInput({ x: '\u{1F600}\u00e9' }), null)
  })

  it('refuses nesting beyond the limit without recursion, and names fields plainly', () => {
    let deep: unknown = 'x'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    assert.equal(unusableInput(deep)?.kind, 'depth')
    let ok: unknown = 'x'
    for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = { a: ok }
    assert.equal(unusableInput(ok), null)
    assert.equal(unusableInput({ a: ok })?.kind, 'depth')
    assert.equal(plainFieldName(['seenOrHeard']), 'seen or heard')
    assert.equal(plainFieldName(['child-dob-day']), 'child dob day')
    assert.equal(plainFieldName(['bodyMap', 0, 'description']), 'body map description')
    assert.equal(fieldPath(['bodyMap', 0, 'description']), 'bodyMap.0.description')
    assert.equal(fieldPath(['goldenRules', 'a\u0000']), 'goldenRules.a\\u0000')
  })

  it('the error summary links only to what is on the page: a missing target goes to the main content', () => {
    const html = '<main id="main-content"><input id="reason" name="reason"><input type="hidden" name="rowVersion"></main>'
    const linked = errorsLinkedToPage(html, [{ text: 'Give the reason', href: '#reason' }, { text: 'Reload the page', href: '#rowVersion' }, { text: 'Not a link' }])
    assert.deepEqual(linked.errors, [{ text: 'Give the reason', href: '#reason' }, { text: 'Reload the page', href: '#main-content' }, { text: 'Not a link' }])
    assert.deepEqual(linked.missing, ['rowVersion'])
  })

  it('the idempotency hash refuses a deeply nested body instead of overflowing the stack', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    assert.throws(() => canonical(deep), TooDeepError)
    assert.equal(canonical({ b: [1, { d: 'x', c: null }], a: 2 }), '{"a":2,"b":[1,{"c":null,"d":"x"}]}')
  })
})

describeApp('bad input: control characters, undecodable addresses, deep JSON', (ctx) => {
  const childIdOf = async () =>
    (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
  const concerns = async () => Number((await ctx.s.t.db.selectFrom('concern').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  it('a form field with a NUL or another control character: 400, the GOV.UK error page naming the field, nothing saved', async () => {
    const childId = await childIdOf()
    const teacher = await ctx.s.signIn('teacher.brookside')
    await teacher.get(`/concerns/new?child=${childId}`)
    const form = (over: Record<string, string>) => ({ children: childId, category: 'neglect', seenOrHeard: 'Hungry again.', occurredDate: '2026-11-20', immediateDanger: 'no', idempotencyKey: randomUUID(), ...over })
    const before = await concerns()
    for (const bad of ['a\u0000b', 'escape \u001b[31m', 'bell\u0007']) {
      const r = await teacher.post('/concerns', form({ seenOrHeard: bad }))
      assert.equal(r.statusCode, 400, `${JSON.stringify(bad)}: ${r.statusCode} ${r.body.slice(0, 200)}`)
      assert.match(String(r.headers['content-type']), HTML)
      assert.match(r.body, /govuk-heading-l/)
      assert.match(r.body, /There is a problem with what you entered/)
      assert.match(r.body, /“seen or heard” field/)
      assert.match(r.body, /Nothing was saved/)
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/)
    }
    assert.equal(await concerns(), before, 'nothing was saved')
    // tab, CR and LF are ordinary text
    const ok = await teacher.post('/concerns', form({ seenOrHeard: 'Line one\r\nLine two\tindented' }))
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300))
    assert.equal(await concerns(), before + 1)
  })

  it('a JSON field with a NUL, at any depth: 400 problem+json with invalid-params naming it, nothing saved', async () => {
    const childId = await childIdOf()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const token = JSON.parse((await teacher.get('/api/v1/me')).body).csrfToken
    const create = (body: unknown) => teacher.postJson('/api/v1/concerns', body, { 'x-csrf-token': token, 'idempotency-key': randomUUID() })
    const concern = (over: Record<string, unknown>) => ({ children: [childId], category: 'neglect', seenOrHeard: 'Hungry again.', occurredAt: '2026-11-20T09:00:00Z', immediateDanger: false, idempotencyKey: randomUUID(), ...over })
    const before = await concerns()
    for (const [over, name] of [
      [{ seenOrHeard: 'a\u0000b' }, 'seenOrHeard'],
      [{ category: 'neg\u0000lect' }, 'category'],
      [{ bodyMap: [{ view: 'front', region: 'left_arm', description: 'a\u0000' }] }, 'bodyMap.0.description'],
      [{ location: 'form feed \f' }, 'location'],
    ] as const) {
      const r = await create(concern(over))
      assert.equal(r.statusCode, 400, `${name}: ${r.statusCode} ${r.body.slice(0, 200)}`)
      assert.match(String(r.headers['content-type']), PROBLEM)
      const p = JSON.parse(r.body)
      assert.equal(p.status, 400)
      assert.deepEqual(p['invalid-params'].map((x: { name: string }) => x.name), [name])
      assert.match(p.detail, /Nothing was saved/)
    }
    assert.equal(await concerns(), before, 'nothing was saved')
    const ok = await create(concern({ seenOrHeard: 'Line one\r\nLine two\tindented' }))
    assert.ok(ok.statusCode < 300, `${ok.statusCode} ${ok.body.slice(0, 300)}`)
    assert.equal(await concerns(), before + 1)
  })

  it('a JSON body nested thousands of levels deep: 400 problem+json, never a stack overflow', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const token = JSON.parse((await teacher.get('/api/v1/me')).body).csrfToken
    const cookie = [...teacher.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    for (const payload of ['['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(5000) + '1' + '}'.repeat(5000), JSON.stringify({ seenOrHeard: 'x', extra: JSON.parse('['.repeat(40) + ']'.repeat(40)) })]) {
      const r = await ctx.s.app.inject({ method: 'POST', url: '/api/v1/concerns', payload, headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': token, 'idempotency-key': randomUUID() } })
      assert.equal(r.statusCode, 400, `${payload.slice(0, 20)}: ${r.statusCode} ${r.body.slice(0, 200)}`)
      assert.match(String(r.headers['content-type']), PROBLEM)
      assert.match(JSON.parse(r.body).detail, /nested more than \d+ levels deep/)
    }
  })

  it('a JSON body that is not UTF-8 (Latin-1’s ë): 400 problem+json, nothing saved, never stored with U+FFFD; UTF-8 with a BOM is read', async () => {
    const childId = await childIdOf()
    const teacher = await ctx.s.signIn('teacher.brookside')
    const token = JSON.parse((await teacher.get('/api/v1/me')).body).csrfToken
    const cookie = [...teacher.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const before = await concerns()
    const body = (seen: string) => `{"children":["${childId}"],"category":"neglect","seenOrHeard":"${seen}","occurredAt":"2026-11-20T09:00:00Z","immediateDanger":false,"idempotencyKey":"${randomUUID()}"}`
    const latin1 = Buffer.from(body('Zo\u00eb was hungry'), 'latin1')
    const r = await ctx.s.app.inject({ method: 'POST', url: '/api/v1/concerns', payload: latin1, headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': token, 'idempotency-key': randomUUID() } })
    assert.equal(r.statusCode, 400, r.body.slice(0, 200))
    assert.match(String(r.headers['content-type']), PROBLEM)
    assert.match(JSON.parse(r.body).detail, /not UTF-8.*Nothing was saved/)
    assert.equal(await concerns(), before, 'nothing was saved')
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body('Zo\u00eb was hungry'), 'utf8')])
    const ok = await ctx.s.app.inject({ method: 'POST', url: '/api/v1/concerns', payload: utf8, headers: { 'content-type': 'application/json; charset=utf-8', cookie, 'x-csrf-token': token, 'idempotency-key': randomUUID() } })
    assert.equal(ok.statusCode, 201, ok.body.slice(0, 300))
    assert.equal(await concerns(), before + 1)
    const saved = await ctx.s.t.db.selectFrom('concern').select('seen_or_heard').where('seen_or_heard', 'like', 'Zo% was hungry').execute()
    assert.deepEqual(saved.map((c) => c.seen_or_heard), ['Zo\u00eb was hungry'], 'the letter itself, once')
    // what Fastify's own parser refuses, it still refuses: a __proto__ key
    const proto = await ctx.s.app.inject({ method: 'POST', url: '/api/v1/concerns', payload: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': token, 'idempotency-key': randomUUID() } })
    assert.equal(proto.statusCode, 400)
  })

  it('an address the router cannot decode, or a path segment over its limit: the GOV.UK error page, or problem+json on the API', async () => {
    const long = 'a'.repeat(101)
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const agent of [ctx.s.agent(), dsl]) {
      for (const [url, status] of [['/children/%E0%A4%A', 400], ['/children/%C0%80', 400], [`/children/${long}`, 414], [`/concerns/${long}`, 414]] as const) {
        const r = await agent.get(url)
        assert.equal(r.statusCode, status, `${url}: ${r.statusCode} ${r.body.slice(0, 200)}`)
        assert.match(String(r.headers['content-type']), HTML, url)
        assert.match(r.body, /govuk-heading-l/, url)
        assert.match(r.body, status === 400 ? /There is a problem with the address/ : /The address is too long/, url)
        assert.doesNotMatch(r.body, /FST_ERR/, url)
        assert.match(String(r.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/, url)
        assert.equal(r.headers['x-content-type-options'], 'nosniff', url)
        assert.equal(r.headers['cache-control'], 'no-store', url)
      }
      for (const [url, status] of [['/api/v1/children/%E0%A4%A', 400], ['/api/v1/children/%C0%80', 400], [`/api/v1/children/${long}`, 414], [`/api/v1/children/${long}/entries`, 414]] as const) {
        const r = await agent.get(url)
        assert.equal(r.statusCode, status, `${url}: ${r.statusCode} ${r.body.slice(0, 200)}`)
        assert.match(String(r.headers['content-type']), PROBLEM, url)
        const p = JSON.parse(r.body)
        assert.equal(p.status, status)
        assert.ok(p.title && p.detail, url)
        assert.doesNotMatch(r.body, /FST_ERR/, url)
      }
    }
    // a POST to a bad address is answered the same way (no CSRF or body handling is reached)
    const r = await dsl.post('/concerns/%E0%A4%A/triage', { action: 'x' })
    assert.equal(r.statusCode, 400)
    assert.match(String(r.headers['content-type']), HTML)
  })
})
