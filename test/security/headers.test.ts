// Security headers on every route, cookies, CSRF, content types, fuzzed bodies, stored XSS, no stack traces.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../support/app.ts'
import { stableUuid } from '../../src/data/ids.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('security headers and hostile input', (ctx) => {
  it('every page: a nonce CSP without unsafe-inline, HSTS, nosniff, no framing, no-store', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const gets = ctx.s.app.routeTable.filter((r) => r.method === 'GET' && !r.url.includes(':') && !r.url.startsWith('/assets/') && !r.url.startsWith('/public/'))
    for (const route of gets) {
      for (const agent of [ctx.s.agent(), dsl]) {
        const res = await agent.get(route.url)
        const csp = String(res.headers['content-security-policy'] ?? '')
        assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/, `${route.url} CSP`)
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, route.url)
        assert.match(csp, /frame-ancestors 'none'/, route.url)
        assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/, route.url)
        assert.equal(res.headers['x-content-type-options'], 'nosniff', route.url)
        assert.equal(res.headers['cache-control'], 'no-store', route.url)
      }
    }
  })

  it('session cookies are __Host-, Secure, HttpOnly, SameSite, Path=/', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const res = await a.post('/sign-in', { email: 'dsl.brookside@northshire.example', password: 'Northshire-demo-2026' })
    const cookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('__Host-ta_session='))!
    for (const attr of ['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/']) assert.ok(String(cookie).includes(attr), attr)
    assert.doesNotMatch(String(cookie), /Domain=/)
  })

  it('a cross-site form post without the token is refused; wrong content types are 415; fuzzed bodies are never a 5xx', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const posts = ctx.s.app.routeTable.filter((r) => r.method === 'POST')
    for (const route of posts) {
      const url = route.url.replace(/:[a-zA-Z]+/g, () => crypto.randomUUID())
      const noToken = await dsl.post(url, { anything: 'x' }, { csrf: false })
      assert.ok([403, 429].includes(noToken.statusCode), `${url} without CSRF: ${noToken.statusCode}`)
      for (const type of ['text/plain', 'application/xml']) {
        const r = await ctx.s.app.inject({ method: 'POST', url, payload: '<x/>', headers: { 'content-type': type, cookie: [...dsl.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
        assert.equal(r.statusCode, 415, `${url} ${type}: ${r.statusCode}`)
        assert.doesNotMatch(r.body, /at .*\.ts:\d+/)
      }
      const junks: Record<string, string | string[]>[] = [{ a: ['1', '2'] }, { children: ['x', "'; drop table child; --"], category: ['a', 'b'], idempotencyKey: 'nope' }, { reason: 'x'.repeat(50_000) }, { code: '1e9', email: ['a@b.c', 'd@e.f'] }]
      for (const junk of junks) {
        const r = await dsl.post(url, junk)
        assert.ok(r.statusCode < 500, `${url} ${JSON.stringify(junk).slice(0, 80)}: ${r.statusCode}`)
      }
      const json = await dsl.postJson(url, { nested: { deep: [1, { x: null }] }, _csrf: dsl.csrf })
      assert.ok(json.statusCode < 500, `${url} JSON: ${json.statusCode}`)
    }
  })

  it('a NUL in the address (which PostgreSQL cannot hold in text) is bad input on every route: 400, problem+json on the API', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const gets = ctx.s.app.routeTable.filter((r) => r.method === 'GET' && !r.url.startsWith('/public') && !r.url.startsWith('/assets'))
    assert.ok(gets.length > 50)
    for (const route of gets) {
      const url = route.url.replace(/:[a-zA-Z]+/g, () => crypto.randomUUID()).replace(/\*$/, 'x')
      for (const q of ['?category=%00', '?name=a%00b&q=%00']) {
        const r = await dsl.get(url + q)
        assert.ok(r.statusCode < 500, `${url}${q}: ${r.statusCode}`)
        if (r.statusCode === 400 && url.startsWith('/api/')) assert.match(String(r.headers['content-type']), /application\/problem\+json/)
      }
    }
    const search = await dsl.get('/search?name=%00')
    assert.equal(search.statusCode, 400)
    assert.match(search.body, /There is a problem with the address/)
    const api = await dsl.get('/api/v1/search?name=%00')
    assert.equal(api.statusCode, 400)
    assert.match(String(api.headers['content-type']), /application\/problem\+json/)
  })

  it('stored cross-site scripting renders inert; API errors are problem+json without stack traces', async () => {
    const childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).child_id
    await ctx.s.t.db.updateTable('child').set({ given_name: '<script>alert(1)</script>', family_name: '"><img src=x onerror=alert(2)>' }).where('id', '=', childId).execute()
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const url of ['/', `/children/${childId}`, `/children/${childId}/chronology`, `/search?name=${encodeURIComponent('<script>')}`]) {
      const page = await dsl.get(url)
      assert.doesNotMatch(page.body, /<script>alert\(1\)<\/script>/, url)
      assert.doesNotMatch(page.body, /<img src=x onerror/, url)
    }
    const api = await dsl.get(`/api/v1/children/${crypto.randomUUID()}`)
    assert.equal(api.statusCode, 404)
    assert.match(String(api.headers['content-type']), /application\/problem\+json/)
    const body = JSON.parse(api.body) as { status: number; title: string }
    assert.equal(body.status, 404)
    const anon = await ctx.s.agent().get('/api/v1/children')
    assert.equal(anon.statusCode, 401)
    assert.match(String(anon.headers['content-type']), /application\/problem\+json/)
  })
})
