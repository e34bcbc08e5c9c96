// Every route declares the permission that lets a role in and the audit event it writes; none is forgotten.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
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

  it('a form that posts to a route declaring formKey carries the page\'s key, and only such forms carry one', () => {
    // the forms of every template: their action (template expressions kept) and whether they carry formKey
    const root = path.resolve(import.meta.dirname, '../../src')
    const templates = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.njk'))
    const forms: { file: string; action: string; keyed: boolean }[] = []
    for (const f of templates) {
      const text = fs.readFileSync(path.join(root, f), 'utf8')
      for (const m of text.matchAll(/<form\b[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) forms.push({ file: f, action: m[1]!, keyed: m[2]!.includes('name="formKey" value="{{ formKey }}"') })
    }
    // the URLs an action written in a template can be: each {% if %}…{% else %}…{% endif %} either way, each {{ … }} a part
    const variants = (action: string): string[] => {
      const m = /\{%\s*if [^%]*%\}([\s\S]*?)(?:\{%\s*else\s*%\}([\s\S]*?))?\{%\s*endif\s*%\}/.exec(action)
      if (!m) return [action.replace(/\{\{[^}]*\}\}/g, ':x')]
      const [before, after] = [action.slice(0, m.index), action.slice(m.index + m[0].length)]
      return [...variants(before + m[1]! + after), ...variants(before + (m[2] ?? '') + after)]
    }
    const matches = (url: string, action: string) => variants(action).some((v) => new RegExp(`^${url.replace(/:[a-zA-Z]+/g, ':x')}$`).test(v))
    const keyedRoutes = ctx.s.app.routeTable.filter((r) => r.method === 'POST' && r.declaration?.formKey)
    assert.ok(keyedRoutes.length >= 19, `${keyedRoutes.length} routes declare formKey`)
    const problems: string[] = []
    for (const r of keyedRoutes) {
      const theirs = forms.filter((f) => matches(r.url, f.action))
      if (!theirs.length) problems.push(`${r.url}: no form posts to it`)
      for (const f of theirs.filter((x) => !x.keyed)) problems.push(`${r.url}: the form in ${f.file} has no formKey`)
    }
    for (const f of forms.filter((x) => x.keyed)) {
      if (!keyedRoutes.some((r) => matches(r.url, f.action))) problems.push(`${f.file}: a form to ${f.action} carries formKey, but no route declaring formKey takes it`)
    }
    assert.deepEqual(problems, [])
  })

  it('public routes are only the sign-in pages, health and static assets', () => {
    const pub = ctx.s.app.routeTable.filter((r) => r.method !== 'HEAD' && r.declaration?.permission === 'public' && !r.url.startsWith('/assets/') && !r.url.startsWith('/public/'))
    assert.deepEqual([...new Set(pub.map((r) => r.url))].sort(), ['/health', '/sign-in', '/sign-in/mfa', '/sign-in/mfa/enrol', '/sign-in/passkey', '/sign-in/passkey/enrol', '/sign-in/passkey/enrol/options', '/sign-in/passkey/options'])
  })
})
