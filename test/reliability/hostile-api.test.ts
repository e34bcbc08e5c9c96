// Hostile JSON on the API: every route under /api/v1 is called by a client whose role has the route's permission,
// with ids of records that client can reach. GET routes get hostile query values (a parameter repeated, 20,000
// characters, '-1', '1e309', '0x10', '2026-02-30', '../..', odd unicode) and hostile record ids; POST routes get a
// valid body (the one each module's API test sends) with each field in turn replaced by null, an array, an object, a
// value of the wrong type, 100,000 characters and (for dates) an impossible date, and also the whole body as a JSON
// array, a JSON string, null, {}, broken JSON and text/plain. The answer is never a 500; every 4xx is problem+json
// with a title, a validation error names the field, and a refused request wrote nothing (the route's main table has
// as many rows as before, an update's record keeps its version).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { hasPermission, type Permission, type Role } from '../../src/access/policy.ts'
import { demoPractitioners } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { GOLDEN_RULES } from '../../src/modules/sharing/codes.ts'
import { describeApp } from '../support/app.ts'
import { signedInAgents, sweepChild } from '../support/records.ts'
import type { Agent } from '../support/agent.ts'
import type { LightMyRequestResponse } from 'fastify'

const id = (k: string) => stableUuid(`northshire:${k}`)
const PROBLEM = /^application\/problem\+json/
const ALL_RULES = Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, true]))

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** Who calls a route: the first rule whose pattern matches and whose role has the route's permission; else any role with it. */
const ROLE_RULES: [RegExp, string][] = [
  [/^\/api\/v1\/front-door\/referrals\/:referralId\/(sign-off|challenge-answer)$/, 'manager.frontdoor'],
  [/^\/api\/v1\/front-door\//, 'frontdoor'],
  [/^\/api\/v1\/concerns$/, 'teacher.brookside'],
  [/^\/api\/v1\/concerns\/:concernId$/, 'teacher.brookside'],
  [/^\/api\/v1\/(triage|concerns\/)/, 'dsl.brookside'],
  [/^\/api\/v1\/referrals/, 'dsl.brookside'],
  [/^\/api\/v1\/children\/:childId\/information-requests$/, 'frontdoor'],
  [/^\/api\/v1\/information-requests\/:requestId\/answers$/, 'police.mash'],
  [/^\/api\/v1\/information-requests\//, 'frontdoor'],
  [/^\/api\/v1\/(records|entries)$/, 'admin.csc'],
  [/^\/api\/v1\/(children|search|meetings)/, 'dsl.brookside'],
  [/^\/api\/v1\/me$/, 'teacher.brookside'],
]

/** Per POST route: its valid body (from the module's API test), the table a create adds to, and the record's id for a route's own referral. */
interface PostSpec {
  body: () => { [k: string]: Json }
  /** Tables whose row count a refused request must leave alone. */
  tables: string[]
  /** Which of the setup's ids fills :referralId (each step of the front door works on a referral in the right state). */
  referral?: 'A' | 'B' | 'C' | 'D'
  /** Which of the setup's ids fills a URL parameter, when not the one of the same name (a record in the state the route needs). */
  ids?: Record<string, string>
}

/** GET routes: the query parameters each reads (the generic ones are sent to every route too). */
const QUERY: Record<string, string[]> = {
  '/api/v1/children/:childId/entries': ['limit', 'offset'],
  '/api/v1/search': ['name', 'dob'],
}
const GENERIC_QUERY = ['limit', 'offset', 'q']

const HOSTILE_QUERY: [string, (name: string) => string][] = [
  ['repeated', (n) => `${n}=1&${n}=2`],
  ['20k', (n) => `${n}=${'x'.repeat(20_000)}`],
  ...['-1', '1e309', '0x10', '2026-02-30', '../..', '\u202e', '👩‍👩‍👧‍👦', 'ﷺ𝕏̸̡', ''].map((v): [string, (name: string) => string] => [`'${v}'`, (n) => `${n}=${encodeURIComponent(v)}`]),
]
const HOSTILE_IDS = ['-1', '1e309', '0x10', '../..', '\u202e', '👩‍👩‍👧‍👦', '00000000-0000-0000-0000-000000000000', 'x'.repeat(90)]

const DATE_FIELD = /(^date|Date|^dob$|On$|At$|^occurred)/
/** A placeholder replaced in the JSON text by a number JSON.stringify cannot write (1e309 parses to Infinity). */
const RAW = (text: string) => `\u0000raw:${text}`

describeApp('hostile JSON on the API, on real records', (ctx) => {
  const people = demoPractitioners()
  const roleOf = (key: string) => people.find((p) => p.key === key)!.memberships[0]!.role as Role
  // an API client takes its CSRF token from /api/v1/me once signed in
  const { agent } = signedInAgents(ctx, async (a, key) => {
    const me = await a.get('/api/v1/me')
    assert.equal(me.statusCode, 200, `${key}: /api/v1/me`)
    a.csrf = (me.json() as { csrfToken: string }).csrfToken
  })
  const ids: Record<string, string> = {}
  const referrals: Record<string, string> = {}
  const setupNotes: string[] = []
  const q = <T>(fn: (db: typeof ctx.s.t.db) => Promise<T>) => ctx.s.t.privileged(fn)
  const create = (a: Agent, url: string, body: unknown) => a.postJson(url, body, { 'idempotency-key': randomUUID() })
  const version = (table: string, rowId: string) =>
    q(async (db) => {
      const row = await db.selectFrom(table as 'concern').select('row_version').where('id', '=', rowId).executeTakeFirst()
      return row?.row_version ?? null
    })
  const update = async (a: Agent, url: string, table: string, rowId: string, body: unknown) => a.postJson(url, body, { 'if-match': `"${await version(table, rowId)}"` })

  const SPECS: Record<string, PostSpec> = {
    '/api/v1/concerns': {
      body: () => ({ children: [ids.childId!], category: 'physical_abuse', seenOrHeard: 'Bruising to both upper arms.', childWords: 'Dad grabbed me hard', occurredAt: '2026-11-23T09:10:00Z', location: 'Classroom', otherChildren: '', immediateDanger: false, bodyMap: [{ view: 'front', region: 'left_arm', description: 'Four oval bruises', x: 120, y: 300 }], idempotencyKey: randomUUID() }),
      tables: ['concern', 'entry'],
    },
    '/api/v1/concerns/:concernId/triage': {
      body: () => ({ actions: ['monitor'], outcome: 'monitor', reasons: 'Monitor: breakfast club offered.' }),
      tables: ['triage_action'],
    },
    '/api/v1/referrals': {
      body: () => ({ children: [ids.childId!], kind: 'referral', reason: 'Bruising to both upper arms; she said dad grabbed her hard.', levelBelieved: 4, levelReason: 'Physical injury with a disclosure', parentsKnow: false, parentsNotToldReason: 'Telling dad could put her at risk', urgency: 'today', ppnReference: '', concernIds: [ids.concernId!], idempotencyKey: randomUUID() }),
      tables: ['referral', 'entry'],
    },
    '/api/v1/referrals/:referralId/challenge': { body: () => ({ reason: 'We think this meets s47: the injury pattern is non-accidental.' }), tables: ['challenge', 'entry'], referral: 'A' },
    '/api/v1/front-door/referrals/:referralId/acknowledge': { body: () => ({}), tables: ['referral_check'], referral: 'C' },
    '/api/v1/front-door/referrals/:referralId/checks': { body: () => ({ agency: 'Police', finding: 'Two domestic incidents at the address this year.' }), tables: ['referral_check'], referral: 'C' },
    '/api/v1/front-door/referrals/:referralId/decision': { body: () => ({ decision: 's17', rationale: 'Needs a child-in-need assessment: injury, disclosure and domestic abuse history.', levelFound: 3, lateReason: '' }), tables: ['entry'], referral: 'C' },
    '/api/v1/front-door/referrals/:referralId/sign-off': { body: () => ({ approve: true, note: 'Agreed: no further action is right here.' }), tables: ['entry'], referral: 'D' },
    '/api/v1/front-door/referrals/:referralId/challenge-answer': { body: () => ({ upheld: false, response: 'A strategy discussion is not needed: the assessment starts today with a joint visit.' }), tables: ['entry'], referral: 'B' },
    '/api/v1/children/:childId/information-requests': {
      body: () => ({ agencies: [id('agency:health')], question: 'API: anything known about this child?', urgency: 'standard', referralId: null, idempotencyKey: randomUUID() }),
      tables: ['information_request'],
    },
    '/api/v1/information-requests/:requestId/answers': {
      body: () => ({
        response: 'share',
        entries: [{ summary: 'Reported missing overnight in September; found safe.', occurredOn: '2026-09-19', significance: 'high', visibility: 'team' }],
        note: '',
        lateReason: '',
        sharing: { purpose: 'request_answer', categories: ['police'], lawfulBasis: '6.1.e', specialCategory: false, consent: 'not_sought', consentReason: 'Risk to the child', goldenRules: { ...ALL_RULES }, reasons: 'Necessary for the front door’s decision', outsideAgreementReason: 'No agreement yet' },
      }),
      tables: ['entry', 'sharing_decision'],
    },
    // its own open request (the other one is answered by the route above)
    '/api/v1/information-requests/:requestId/withdraw': { body: () => ({ reason: 'The GP has phoned the front door with the answer.' }), tables: ['entry', 'notification'], ids: { requestId: 'toWithdraw' } },
    '/api/v1/children/:childId/sharing-decisions': {
      body: () => ({ shared: true, what: 'Attendance this term', entryIds: [], withAgencyIds: [id('agency:health')], withOther: null, purpose: 'safeguarding', categories: ['education'], lawfulBasis: '6.1.e', specialCategory: false, consent: 'given', goldenRules: { ...ALL_RULES }, reasons: 'The school nurse is seeing the child on Monday', idempotencyKey: randomUUID() }),
      tables: ['sharing_decision', 'entry'],
    },
    '/api/v1/records': {
      body: () => ({ sourceRef: `HA-${randomUUID().slice(0, 8)}`, givenName: 'Hostile', familyName: 'Api', dateOfBirth: '2015-01-01', sex: 'female' }),
      tables: ['agency_record', 'child'],
    },
    '/api/v1/entries': {
      body: () => ({ sourceRef: 'HA-SETUP', occurredAt: '2026-11-21', type: 'health_attendance', category: 'injury', significance: 'high', summary: 'A&E attendance with a head injury' }),
      tables: ['entry'],
    },
  }

  it('setup: a child in reach of the school, the front door and the police, and a record of each kind made through the API', { timeout: 300_000 }, async () => {
    const { childId, tacId } = await sweepChild(ctx.s)
    ids.childId = childId
    const step = async (name: string, fn: () => Promise<LightMyRequestResponse>) => {
      try {
        const r = await fn()
        if (r.statusCode >= 300) setupNotes.push(`setup ${name}: ${r.statusCode} ${r.body.slice(0, 200)}`)
        return r.statusCode < 300 ? (r.json() as Record<string, unknown>) : null
      } catch (e) {
        setupNotes.push(`setup ${name}: threw ${(e as Error).message}`)
        return null
      }
    }
    const teacher = await agent('teacher.brookside')
    const dsl = await agent('dsl.brookside')
    const fd = await agent('frontdoor')
    const manager = await agent('manager.frontdoor')
    const admin = await agent('admin.csc')

    const concern = await step('concern', () => create(teacher, '/api/v1/concerns', SPECS['/api/v1/concerns']!.body()))
    ids.concernId = (concern as { concerns: { id: string }[] } | null)?.concerns[0]?.id ?? ''
    // four referrals, one for each state a front-door step needs
    const refer = async (name: string) => {
      const made = await step(`referral ${name}`, () => create(dsl, '/api/v1/referrals', { ...SPECS['/api/v1/referrals']!.body(), reason: `Referral ${name}: bruising to both upper arms.` }))
      return (made as { referrals: { id: string }[] } | null)?.referrals[0]?.id ?? ''
    }
    for (const name of ['A', 'B', 'C', 'D'] as const) referrals[name] = await refer(name)
    const work = (r: string) => `/api/v1/front-door/referrals/${r}`
    // A: decided and told (the referrer may challenge); B: decided, told and challenged (the manager answers)
    for (const name of ['A', 'B'] as const) {
      const r = referrals[name]!
      await step(`acknowledge ${name}`, () => update(fd, `${work(r)}/acknowledge`, 'referral', r, {}))
      await step(`decide ${name}`, () => update(fd, `${work(r)}/decision`, 'referral', r, { decision: 's17', levelFound: 3, rationale: 'Needs a child-in-need assessment.' }))
    }
    await step('challenge B', () => create(dsl, `/api/v1/referrals/${referrals.B}/challenge`, { reason: 'We think this meets s47.' }))
    // C: just received (acknowledge, checks, decision are swept on it in that order); D: awaiting a manager's sign-off
    await step('acknowledge D', () => update(fd, `${work(referrals.D!)}/acknowledge`, 'referral', referrals.D!, {}))
    await step('decide D', () => update(fd, `${work(referrals.D!)}/decision`, 'referral', referrals.D!, { decision: 'nfa', levelFound: 1, rationale: 'No further action: the school’s support is enough.' }))
    const d = await q((db) => db.selectFrom('referral').select('status').where('id', '=', referrals.D!).executeTakeFirst())
    if (d?.status !== 'awaiting_sign_off') setupNotes.push(`setup D: status ${d?.status}, not awaiting_sign_off`)
    void manager
    // an information request to the police, for the police to answer
    const asked = await step('information request', () => create(fd, `/api/v1/children/${childId}/information-requests`, { agencies: [id('agency:police')], question: 'Anything known at the address?', urgency: 'standard', idempotencyKey: randomUUID() }))
    ids.requestId = (asked as { requests: { id: string }[] } | null)?.requests[0]?.id ?? ''
    // and one to the GP, for the front door to withdraw
    const toGp = await step('information request to withdraw', () => create(fd, `/api/v1/children/${childId}/information-requests`, { agencies: [id('agency:gp')], question: 'Is the child registered with you?', urgency: 'standard', idempotencyKey: randomUUID() }))
    ids.toWithdraw = (toGp as { requests: { id: string }[] } | null)?.requests[0]?.id ?? ''
    // an agency record of the CSC's own, for the entries API
    await step('agency record', () => create(admin, '/api/v1/records', { sourceRef: 'HA-SETUP', givenName: 'Hostile', familyName: 'Setup', dateOfBirth: '2014-05-06', sex: 'male' }))
    // a meeting of the child's team (the meetings API only reads: arranged on the page, as the team lead does)
    const sw = await agent('sw.north')
    const arranged = await sw.post(`/teams/${tacId}/meetings`, { kind: 'team', date: '2026-12-02', time: '10:00', mode: 'in_person', place: 'School', agenda: 'Review', chair: stableUuid('northshire:membership:sw.north:0') })
    if (arranged.statusCode !== 303) setupNotes.push(`setup meeting: ${arranged.statusCode}`)
    ids.meetingId = (await q((db) => db.selectFrom('meeting').select('id').where('tac_id', '=', tacId).orderBy('created_at', 'desc').executeTakeFirst()))?.id ?? ''
    for (const [k, v] of Object.entries({ ...ids, ...Object.fromEntries(Object.entries(referrals).map(([k, v]) => [`referral${k}`, v])) })) if (!v) setupNotes.push(`setup: no ${k}`)
    assert.deepEqual(setupNotes, [], 'the setup made every record through the API')
  })

  /** The id for a URL parameter of a route, or undefined when the setup has none. */
  const idFor = (route: string, param: string): string | undefined => {
    if (param === 'referralId') {
      const spec = SPECS[route]
      if (spec?.referral) return referrals[spec.referral]
      // the referrer's status page reads A (theirs), the front door's work page reads C
      return route.startsWith('/api/v1/front-door/') ? referrals.C : referrals.A
    }
    const named = SPECS[route]?.ids?.[param]
    if (named) return ids[named] || undefined
    return ids[param] || undefined
  }

  const keyFor = (url: string, permission: Permission) =>
    ROLE_RULES.find(([re, k]) => re.test(url) && hasPermission(roleOf(k), permission))?.[1] ?? people.find((p) => hasPermission(p.memberships[0]!.role as Role, permission))?.key

  /** The checks every answer passes: no 5xx; a 4xx is problem+json with a title; a validation error names the field. */
  const judge = (problems: string[], line: string, res: LightMyRequestResponse, field?: string) => {
    const s = res.statusCode
    const show = `${line} → ${s} (${res.body.slice(0, 200)})`
    if (s >= 500) return problems.push(show)
    if (s < 400) return
    if (!PROBLEM.test(String(res.headers['content-type']))) return problems.push(`${show} [not problem+json: ${res.headers['content-type']}]`)
    let p: { title?: unknown; 'invalid-params'?: { name: string }[] }
    try {
      p = JSON.parse(res.body)
    } catch {
      return problems.push(`${show} [problem+json that is not JSON]`)
    }
    if (typeof p.title !== 'string' || !p.title) return problems.push(`${show} [no title]`)
    if (field && s === 400 && !/idempotency|if-match/i.test(p.title)) {
      // the field, or the object or list it sits in, or its own name
      const parts = field.split('.')
      const names = [...parts.map((_, i) => parts.slice(0, i + 1).join('.')), ...parts.filter((x) => !/^\d+$/.test(x))]
      if (!names.some((n) => res.body.includes(n))) problems.push(`${show} [does not name ${field}]`)
    }
  }

  it('every GET under /api/v1: hostile query values and record ids are never a 500, and every refusal is problem+json', { timeout: 600_000 }, async () => {
    const problems: string[] = []
    const uncovered: string[] = []
    let withRealIds = 0
    const routes = ctx.s.app.routeTable.filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1'))
    assert.ok(routes.length >= 12, `${routes.length} GET routes under /api/v1`)
    for (const route of routes) {
      const permission = route.declaration!.permission as Permission
      const key = keyFor(route.url, permission)
      if (!key) {
        uncovered.push(`GET ${route.url}: no demo practitioner has ${permission}`)
        continue
      }
      const a = await agent(key)
      const missing: string[] = []
      const params = [...route.url.matchAll(/:([a-zA-Z]+)/g)].map((m) => m[1]!)
      const fill = (over?: [string, string]) =>
        route.url.replace(/:([a-zA-Z]+)/g, (_, p: string) => {
          if (over && over[0] === p) return encodeURIComponent(over[1])
          const v = idFor(route.url, p)
          if (v === undefined) {
            missing.push(p)
            return randomUUID()
          }
          return encodeURIComponent(v)
        })
      const url = fill()
      if (!missing.length) withRealIds++
      const plain = await a.get(url)
      judge(problems, `${key} GET ${route.url} plain`, plain)
      if (plain.statusCode !== 200) problems.push(`${key} GET ${route.url} plain → ${plain.statusCode} with real ids: the client with the permission should read it (${plain.body.slice(0, 200)})`)
      for (const name of [...(QUERY[route.url] ?? []), ...GENERIC_QUERY]) {
        for (const [label, make] of HOSTILE_QUERY) {
          const res = await a.get(`${url}?${make(name)}`)
          judge(problems, `${key} GET ${route.url} ?${name} ${label}`, res, QUERY[route.url]?.includes(name) ? name : undefined)
        }
      }
      // both named parameters at once, each hostile
      if (QUERY[route.url]) {
        const [x, y] = QUERY[route.url]!
        const res = await a.get(`${url}?${x}=-1&${y}=1e309&${x}=0x10`)
        judge(problems, `${key} GET ${route.url} ?${x}&${y} mixed`, res)
      }
      for (const p of params) {
        for (const bad of HOSTILE_IDS) {
          const res = await a.get(fill([p, bad]))
          judge(problems, `${key} GET ${route.url} :${p}=${JSON.stringify(bad.slice(0, 20))}`, res)
          if (res.statusCode < 400) problems.push(`${key} GET ${route.url} :${p}=${JSON.stringify(bad.slice(0, 20))} → ${res.statusCode}: a hostile id was answered as a record (${res.body.slice(0, 200)})`)
        }
      }
    }
    assert.deepEqual(uncovered, [])
    assert.ok(withRealIds >= routes.length, `${withRealIds} of ${routes.length} GET routes read with real ids (setup: ${setupNotes.join('; ') || 'no problems'})`)
    assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`)
  })

  it('every POST under /api/v1: hostile JSON bodies are never a 500, every refusal is problem+json naming the field, and a refusal writes nothing', { timeout: 900_000 }, async () => {
    const problems: string[] = []
    const uncovered: string[] = []
    let withRealIds = 0
    const routes = ctx.s.app.routeTable.filter((r) => r.method === 'POST' && r.url.startsWith('/api/v1'))
    assert.ok(routes.length >= 14, `${routes.length} POST routes under /api/v1`)
    const count = (table: string) => q(async (db) => Number((await db.selectFrom(table as 'concern').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n))

    for (const route of routes) {
      const decl = route.declaration!
      const spec = SPECS[route.url]
      if (!spec) {
        uncovered.push(`POST ${route.url}: no valid body in this sweep (add one to SPECS)`)
        continue
      }
      const permission = decl.permission as Permission
      const key = keyFor(route.url, permission)
      if (!key) {
        uncovered.push(`POST ${route.url}: no demo practitioner has ${permission}`)
        continue
      }
      const a = await agent(key)
      const missing: string[] = []
      const url = route.url.replace(/:([a-zA-Z]+)/g, (_, p: string) => {
        const v = idFor(route.url, p)
        if (v === undefined) {
          missing.push(p)
          return randomUUID()
        }
        return encodeURIComponent(v)
      })
      if (!missing.length && route.url.includes(':')) withRealIds++
      const ifMatch = typeof decl.api === 'object' ? decl.api.ifMatch : null
      const recordId = ifMatch ? idFor(route.url, ifMatch.param) : undefined
      const cookie = () => [...a.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
      const headers = async (): Promise<Record<string, string>> => ({
        cookie: cookie(),
        'x-csrf-token': a.csrf ?? '',
        ...(decl.api === 'create' ? { 'idempotency-key': randomUUID() } : {}),
        ...(ifMatch && recordId ? { 'if-match': `"${(await version(ifMatch.table, recordId)) ?? 0}"` } : {}),
      })
      const send = async (payload: string, contentType = 'application/json') => ctx.s.app.inject({ method: 'POST', url, payload, headers: { ...(await headers()), ...(contentType ? { 'content-type': contentType } : {}) } })
      const snapshot = async () => [...(await Promise.all(spec.tables.map(count))), ...(ifMatch && recordId ? [await version(ifMatch.table, recordId)] : [])].join(',')

      /** Sends one case; a refusal must leave the route's tables (and an update's record) as they were. */
      const attempt = async (label: string, payload: string, contentType?: string, field?: string) => {
        const before = await snapshot()
        const res = await send(payload, contentType)
        const line = `${key} POST ${route.url} ${label}`
        judge(problems, line, res, field)
        if (res.statusCode >= 400) {
          const after = await snapshot()
          if (after !== before) problems.push(`${line} → ${res.statusCode} (${res.body.slice(0, 200)}) [refused, but wrote: ${spec.tables.join(',')}${ifMatch ? `,${ifMatch.table}.row_version` : ''} ${before} → ${after}]`)
        } else if (label !== 'valid') {
          if (/'2026-02-30'/.test(label)) problems.push(`${line} → ${res.statusCode} (${res.body.slice(0, 200)}) [an impossible date was accepted]`)
        }
        return res
      }

      // the valid body first: it must be accepted, so that every case below differs from a valid body in one way only
      const valid = await attempt('valid', JSON.stringify(spec.body()))
      // a valid body that is refused would make every case below test the wrong refusal
      if (valid.statusCode >= 300) problems.push(`${key} POST ${route.url} valid → ${valid.statusCode} (${valid.body.slice(0, 200)}) [the valid body was refused]`)

      // each field in turn (and the fields of nested objects, and the first item of each list)
      const body = spec.body()
      const fields: { path: (string | number)[]; value: Json }[] = []
      const walk = (v: Json, path: (string | number)[], depth: number) => {
        if (path.length) fields.push({ path, value: v })
        if (depth >= 3 || v === null || typeof v !== 'object') return
        if (Array.isArray(v)) {
          if (v.length) walk(v[0]!, [...path, 0], depth + 1)
        } else for (const [k, x] of Object.entries(v)) walk(x, [...path, k], depth + 1)
      }
      walk(body, [], 0)
      for (const { path, value } of fields) {
        const name = path.join('.')
        const replacements: [string, Json][] = [
          ['null', null],
          ['an array', ['x']],
          ['an object', { a: 'b' }],
          typeof value === 'string' || value === null ? ['a number', 12345] : typeof value === 'number' ? ['a string', String(value)] : typeof value === 'boolean' ? ['a string', String(value)] : ['a string', 'x'],
          ['100k characters', 'x'.repeat(100_000)],
          ...(DATE_FIELD.test(String(path[path.length - 1])) ? [["'2026-02-30'", '2026-02-30'] as [string, Json]] : []),
          ...(typeof value === 'string' ? [['a lone surrogate', '\ud800'] as [string, Json], ['odd unicode', '\u202e👩‍👩‍👧‍👦 ﷺ'] as [string, Json]] : []),
          ...(typeof value === 'number' ? [['1e309', RAW('1e309')] as [string, Json], ['2^53+1', RAW('9007199254740993')] as [string, Json], ['-1', -1] as [string, Json], ['0.5', 0.5] as [string, Json]] : []),
        ]
        for (const [label, replacement] of replacements) {
          if (JSON.stringify(replacement) === JSON.stringify(value)) continue
          const b = spec.body()
          let target = b as Json
          for (const p of path.slice(0, -1)) target = (target as Record<string, Json>)[p]!
          ;(target as Record<string, Json>)[path[path.length - 1]!] = replacement
          // a value of the field's own type (odd text) may be refused for another field's sake (an open request to
          // the same agency, say): only a value of another type, an over-long or an impossible one must be named
          const sameType = label === 'a lone surrogate' || label === 'odd unicode'
          await attempt(`${name} = ${label}`, JSON.stringify(b).replace(/"\\u0000raw:([^"]*)"/g, '$1'), undefined, sameType ? undefined : name)
        }
      }
      // the whole body
      await attempt('body = a JSON array', JSON.stringify([spec.body()]))
      await attempt('body = a JSON string', JSON.stringify('a string'))
      await attempt('body = null', 'null')
      await attempt('body = {}', '{}')
      await attempt('body = invalid JSON', '{"reason": "unterminated')
      await attempt('body = text/plain', JSON.stringify(spec.body()), 'text/plain')
      await attempt('body = a __proto__ key', JSON.stringify(spec.body()).replace(/^\{/, '{"__proto__":{"polluted":true},'))
      await attempt('body = a constructor.prototype key', JSON.stringify(spec.body()).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'))
      await attempt('body = an unknown field', JSON.stringify({ ...spec.body(), admin: true }), undefined, 'admin')
      await attempt('body = no content-type', JSON.stringify(spec.body()), '')
      if (({} as Record<string, unknown>).polluted !== undefined) problems.push(`POST ${route.url}: Object.prototype was polluted`)
    }
    assert.deepEqual(uncovered, [])
    // the sweep reaches handlers of real records, not only their 404: a setup that stops making records fails here
    assert.ok(withRealIds >= 10, `${withRealIds} of ${routes.length} POST routes posted with real ids (setup: ${setupNotes.join('; ') || 'no problems'})`)
    assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`)
  })
})
