// Every route declares the permission that lets a role in and the audit event it writes; none is forgotten.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { PERMISSIONS } from '../../src/access/policy.ts'
import { describeApp } from '../support/app.ts'

describeApp('route declarations', (ctx) => {
  it('every route has a known permission and a non-empty audit event', () => {
    const routes = ctx.s.app.routeTable.filter((r) => r.method !== 'HEAD')
    assert.ok(routes.length > 40, `only ${routes.length} routes found`)
    const missing = routes.filter((r) => !r.declaration || !(PERMISSIONS as readonly string[]).includes(r.declaration.permission) || !r.declaration.audit.trim())
    assert.deepEqual(missing.map((r) => `${r.method} ${r.url}`), [])
  })

  it('routes that name a record say so (record: true), so a missing permission answers 404', () => {
    const recordish = ctx.s.app.routeTable.filter((r) => r.method !== 'HEAD' && /:[a-zA-Z]+Id\b/.test(r.url))
    const undeclared = recordish.filter((r) => !r.declaration?.record)
    assert.deepEqual(undeclared.map((r) => `${r.method} ${r.url}`), [])
  })

  it('every API POST says whether it creates (Idempotency-Key) or updates a record (If-Match)', () => {
    const posts = ctx.s.app.routeTable.filter((r) => r.method === 'POST' && r.url.startsWith('/api/v1/'))
    assert.ok(posts.length >= 8)
    const undeclared = posts.filter((r) => !r.declaration?.api)
    assert.deepEqual(undeclared.map((r) => `${r.method} ${r.url}`), [])
    const updates = posts.filter((r) => typeof r.declaration?.api === 'object')
    for (const u of updates) {
      const api = u.declaration!.api as { ifMatch: { param: string } }
      assert.ok(u.url.includes(`:${api.ifMatch.param}`), `${u.url} names the record it updates (:${api.ifMatch.param})`)
    }
  })

  it('public routes are only the sign-in pages, health and static assets', () => {
    const pub = ctx.s.app.routeTable.filter((r) => r.method !== 'HEAD' && r.declaration?.permission === 'public' && !r.url.startsWith('/assets/') && !r.url.startsWith('/public/'))
    assert.deepEqual([...new Set(pub.map((r) => r.url))].sort(), ['/health', '/sign-in', '/sign-in/mfa', '/sign-in/mfa/enrol', '/sign-in/passkey', '/sign-in/passkey/enrol', '/sign-in/passkey/enrol/options', '/sign-in/passkey/options'])
  })
})
