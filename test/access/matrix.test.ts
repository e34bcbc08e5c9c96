// The access matrix: every route × every role × each relationship a child can have to that role. Deny by default:
// no unexpected 200 anywhere, no 500 anywhere, and a child out of scope is answered exactly like a child that does
// not exist.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { REACH, ROLES, hasPermission, type Role, type Permission } from '../../src/access/policy.ts'
import { demoPractitioners } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { RELATIONSHIP_TYPES, type RelationshipType } from '../../src/data/schema.ts'
import { describeApp } from '../support/app.ts'
import type { Agent } from '../support/agent.ts'

const P = stableUuid('partnership:northshire')
type Case = RelationshipType | 'none' | 'ended' | 'future'
const CASES: Case[] = [...RELATIONSHIP_TYPES, 'none', 'ended', 'future']

/** One demo practitioner per role (their first membership is that role). */
const KEY_FOR: Record<Role, string> = {
  teacher: 'teacher.brookside',
  headteacher: 'head.brookside',
  dsl: 'dsl.brookside',
  deputy_dsl: 'deputy.brookside',
  senco: 'senco.academy',
  pastoral_worker: 'pastoral.brookside',
  school_social_worker: 'ssw',
  front_door_social_worker: 'frontdoor',
  social_worker: 'sw.north',
  team_manager: 'manager.north',
  police_officer: 'police.mash',
  school_nurse: 'nurse',
  health_visitor: 'hv',
  gp: 'gp',
  agency_admin: 'admin.csc',
  partnership_admin: 'partnership.admin',
  ig_officer: 'ig',
  lado: 'lado',
}

const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|value="[^"]*"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')

describeApp('the access matrix', (ctx) => {
  const agents = new Map<Role, Agent>()
  const children = new Map<string, string>() // `${role}:${case}` → child id
  const membership = (key: string) => stableUuid(`northshire:membership:${key}:0`)

  it('setup: a signed-in agent per role, and a child per role × relationship', async () => {
    const people = demoPractitioners()
    const now = ctx.s.clock.now()
    for (const role of ROLES) {
      const key = KEY_FOR[role]
      assert.equal(people.find((p) => p.key === key)?.memberships[0]?.role, role, `${key} acts as ${role}`)
      const m = await ctx.s.t.db.selectFrom('membership').select(['id', 'agency_id', 'team_id']).where('id', '=', membership(key)).executeTakeFirstOrThrow()
      for (const c of CASES) {
        const childId = randomUUID()
        children.set(`${role}:${c}`, childId)
        await ctx.s.t.db.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Matrix', family_name: `${role} ${c}`, date_of_birth: '2015-05-05', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
        if (c === 'none') continue
        const type: RelationshipType = c === 'ended' || c === 'future' ? 'allocated_worker' : c
        const holder =
          type === 'pupil_at' || type === 'agency_record'
            ? { holder_agency_id: m.agency_id, holder_team_id: null, holder_membership_id: null }
            : type === 'front_door_contact'
              ? m.team_id
                ? { holder_agency_id: null, holder_team_id: m.team_id, holder_membership_id: null }
                : null
              : { holder_agency_id: null, holder_team_id: null, holder_membership_id: m.id }
        if (!holder) continue
        const starts = c === 'future' ? new Date(now.getTime() + 86_400_000) : new Date(now.getTime() - 86_400_000)
        const ends = c === 'ended' ? new Date(now.getTime() - 3_600_000) : type === 'break_glass' ? new Date(now.getTime() + 3_600_000 * 24 * 30) : null
        await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type, ...holder, starts_at: starts, ends_at: ends, source: 'matrix', reason: 'matrix', created_by_membership_id: null, created_at: now }).execute()
      }
      agents.set(role, await ctx.s.signIn(key))
    }
  })

  /** Expected status of a GET on a child route for a role and a relationship case. */
  function expected(role: Role, c: Case, permission: Permission, url: string): 200 | 404 {
    if (!hasPermission(role, permission)) return 404 // record routes hide existence
    // information-governance officers review the access log of any record in their partnership
    if (url.includes('/access-log') && role === 'ig_officer') return 200
    // ... and the retention dates and legal holds of any child in their partnership (names and dates, no content)
    if (url.startsWith('/retention/') && role === 'ig_officer') return 200
    if (c === 'none' || c === 'ended' || c === 'future') return 404
    const reaches = c === 'break_glass' || (REACH[role].through as readonly string[]).includes(c)
    if (c === 'front_door_contact' && !reaches) return 404
    return reaches ? 200 : 404
  }

  // exhaustive (every child route × role × relationship, PDF exports through Chromium included): slower than the default per-test limit
  it('child routes: 200 exactly when the policy says so, otherwise the same 404 as a record that does not exist', { timeout: 1_800_000 }, async () => {
    const childRoutes = ctx.s.app.routeTable.filter((r) => r.method === 'GET' && r.url.startsWith('/') && r.url.includes(':childId'))
    assert.ok(childRoutes.length >= 7)
    const problems: string[] = []
    for (const role of ROLES) {
      const agent = agents.get(role)!
      for (const route of childRoutes) {
        const absent = await agent.get(route.url.replace(':childId', randomUUID()))
        if (absent.statusCode !== 404) problems.push(`${role} ${route.url} absent → ${absent.statusCode}`)
        for (const c of CASES) {
          const childId = children.get(`${role}:${c}`)!
          const res = await agent.get(route.url.replace(':childId', childId))
          const want = expected(role, c, route.declaration!.permission, route.url)
          if (res.statusCode !== want) problems.push(`${role} × ${c} × ${route.url}: ${res.statusCode}, expected ${want}`)
          if (want === 404 && res.statusCode === 404 && strip(res.body) !== strip(absent.body)) problems.push(`${role} × ${c} × ${route.url}: the 404 differs from a record that does not exist`)
        }
      }
    }
    assert.deepEqual(problems, [])
  })

  it('every other route: never a 500, never a 200 for a role without the permission', { timeout: 1_800_000 }, async () => {
    const problems: string[] = []
    const others = ctx.s.app.routeTable.filter((r) => (r.method === 'GET' || r.method === 'POST') && !r.url.includes(':childId') && !r.url.startsWith('/assets/') && !r.url.startsWith('/public/') && !['/sign-out'].includes(r.url))
    for (const role of ROLES) {
      const agent = agents.get(role)!
      for (const route of others) {
        const url = route.url.replace(/:[a-zA-Z]+/g, () => randomUUID())
        // API POSTs carry what a well-behaved client sends (an Idempotency-Key, an If-Match), so the request reaches the data layer
        const res = route.method === 'GET' ? await agent.get(url) : await agent.post(url, {}, url.startsWith('/api/') ? { headers: { 'idempotency-key': randomUUID(), 'if-match': '"1"' } } : {})
        const allowed = hasPermission(role, route.declaration!.permission)
        if (res.statusCode >= 500) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode}`)
        if (!allowed && res.statusCode < 400) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode} without the permission`)
        if (!allowed && route.declaration!.record && res.statusCode !== 404) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode}, a record route must answer 404`)
        if (route.url.includes(':') && route.method === 'GET' && res.statusCode === 200) problems.push(`${role} GET ${route.url} with a random id: 200`)
      }
    }
    assert.deepEqual(problems, [])
  })

  it('revocation applies on the next request: an ended relationship, an ended membership', async () => {
    const sw = agents.get('social_worker')!
    const childId = children.get('social_worker:allocated_worker')!
    assert.equal((await sw.get(`/children/${childId}`)).statusCode, 200)
    await ctx.s.t.db.updateTable('relationship').set({ ends_at: ctx.s.clock.now() }).where('child_id', '=', childId).execute()
    assert.equal((await sw.get(`/children/${childId}`)).statusCode, 404)
    const deputy = agents.get('deputy_dsl')!
    const pupil = children.get('deputy_dsl:pupil_at')!
    assert.equal((await deputy.get(`/children/${pupil}`)).statusCode, 200)
    await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membership('deputy.brookside')).execute()
    // their only membership has ended: they can no longer act at all
    const after = await deputy.get(`/children/${pupil}`)
    assert.equal(after.statusCode, 302)
    assert.equal(after.headers.location, '/sign-in')
  })
})
