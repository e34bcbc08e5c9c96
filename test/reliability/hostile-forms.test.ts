// Hostile form bodies on real records: every page form POST that takes a child or record id is sent, as a role that
// has the route's permission and with ids of records that role can reach, a field repeated (`a=1&a=2`), 20,000
// characters in every field, odd values ('-1', '1e309', '0x10', '2026-02-30', '0001-01-01', '../..', '<script>') and an empty body.
// The access matrix (test/access/matrix.test.ts) only posts empty bodies with random ids: this reaches the handlers'
// parsing and validation. The answer is never a 500, and a 400/422 is the form again with the GOV.UK error summary
// (or the request is redirected, or answered 404); and no repeated field is saved as its two values joined.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { hasPermission, type Permission, type Role } from '../../src/access/policy.ts'
import { demoPractitioners } from '../../src/data/seed.ts'
import { describeApp } from '../support/app.ts'
import { errorText, recordsThroughPages, signedInAgents } from '../support/records.ts'
import type { Agent } from '../support/agent.ts'


/** Who posts to a route: the first rule whose pattern matches and whose role has the route's permission; else any role with it. */
const ROLE_RULES: [RegExp, string][] = [
  [/^\/front-door\/referrals\/:referralId\/(sign-off|challenge-answer)$/, 'manager.frontdoor'],
  [/^\/front-door\//, 'frontdoor'],
  [/^\/referrals\//, 'dsl.brookside'],
  [/^\/concerns\/:concernId/, 'dsl.brookside'],
  [/^\/consultations\/:consultationId\/answer$/, 'ssw'],
  [/^\/encompass\/:noticeId/, 'dsl.brookside'],
  [/^\/children\/:childId\/missing\/:episodeId\/rhi$/, 'sw.north'],
  [/^\/children\/:childId\/missing/, 'police.mash'],
  [/^\/teams\/:tacId\/cp\//, 'sw.north'],
  [/^\/clocks\//, 'manager.north'],
  [/^\/children\/:childId\/exploitation/, 'dsl.brookside'],
  [/^\/mace\//, 'police.mash'],
  [/^\/teams\//, 'sw.north'],
  [/^\/children\/:childId\/visits\/joint$/, 'sw.north'],
  [/^\/children\/:childId\/visits/, 'sw.north'],
  [/^\/children\/:childId\/oversight$/, 'manager.north'],
  [/^\/children\/:childId\/teams$/, 'dsl.brookside'],
  [/^\/children\/:childId\/(sharing-decisions|file-transfer)$/, 'dsl.brookside'],
  [/^\/children\/:childId\/information-requests$/, 'frontdoor'],
  [/^\/information-requests\/:requestId\/answer$/, 'police.mash'],
  [/^\/information-requests\/:requestId\/withdraw$/, 'frontdoor'],
  [/^\/signals\//, 'dsl.brookside'],
  [/^\/notifications\//, 'police.mash'],
  [/^\/entries\/:entryId\/disputes/, 'dsl.brookside'],
  [/^\/entries\//, 'dsl.brookside'],
  [/^\/approvals\/:approvalId\/decide$/, 'head.brookside'],
  [/^\/approvals\/:approvalId\/withdraw$/, 'dsl.brookside'],
  [/^\/file-transfers\/:transferId\/receive$/, 'dsl.academy'],
  [/^\/file-transfers\//, 'dsl.brookside'],
  [/^\/access\/reviews/, 'ig'],
  [/^\/retention\/reports\/:reportId\/decide$/, 'ig2'],
  [/^\/retention\//, 'ig'],
  [/^\/subject-access/, 'ig'],
  [/^\/exports/, 'ig'],
  [/^\/records\/import$/, 'admin.csc'],
  [/^\/records\//, 'partnership.admin'],
  [/^\/admin\//, 'admin.csc'],
  [/^\/settings\/(terms|closures|start-of-day)/, 'admin.brookside'],
  [/^\/settings\//, 'partnership.admin'],
  [/^\/access-log$/, 'ig'],
  [/^\/access\/(emergency|claim)$/, 'sw.south'],
  [/^\/concerns$/, 'teacher.brookside'],
  [/^\/(referrals|consultations)$/, 'dsl.brookside'],
  [/^\/encompass$/, 'police.mash'],
]

/** Routes outside this sweep: authentication and session machinery (sign-in, MFA, passkeys, sign-out, switching role). */
const SKIP = /^\/(api\/|sign-in|sign-out|session\/|account\/)/

/** Routes whose success changes what later requests can do (end, leave, remove…): posted last. */
const LAST = /\/(leave|end|remove|withdraw|disable|reset-mfa|reset-password|cancel|unmerge|reassign|lift)$/

const ODD = ['-1', '1e309', '0x10', '2026-02-30', '0001-01-01', '../..', '<script>alert(1)</script>']

interface Form {
  fields: string[]
  from: string
}

describeApp('hostile form bodies on real records', (ctx) => {
  const people = demoPractitioners()
  const roleOf = (key: string) => people.find((p) => p.key === key)!.memberships[0]!.role as Role
  const { agent, forget } = signedInAgents(ctx)
  const ids: Record<string, string> = {}
  const setupNotes: string[] = []

  it('setup: a child in reach of every case role, and a record of each kind made through the pages', { timeout: 600_000 }, async () => {
    await recordsThroughPages(ctx.s, agent, ids, setupNotes)
  })

  it('every form POST with an id: no 500, and a refusal is the form with the GOV.UK error summary', { timeout: 1_800_000 }, async () => {
    const problems: string[] = []
    const uncovered: string[] = []
    let withRealIds = 0
    const routes = ctx.s.app.routeTable.filter((r) => r.method === 'POST' && r.url.includes(':') && !SKIP.test(r.url))
    // the ones without an id get the same bodies: their handlers parse the same way
    const plain = ctx.s.app.routeTable.filter((r) => r.method === 'POST' && !r.url.includes(':') && !SKIP.test(r.url))
    const all = [...routes, ...plain].sort((a, b) => Number(LAST.test(a.url)) - Number(LAST.test(b.url)))

    const pageCache = new Map<string, string>()
    const page = async (a: Agent, key: string, url: string) => {
      const k = `${key} ${url}`
      if (!pageCache.has(k)) {
        const r = await a.get(url)
        pageCache.set(k, r.statusCode === 200 && /^text\/html/.test(String(r.headers['content-type'])) ? r.body : '')
      }
      return pageCache.get(k)!
    }

    /** The names of the fields of the form on a page nearby that posts to `url`. */
    const formFor = async (a: Agent, key: string, url: string): Promise<Form | null> => {
      const path = url.split('?')[0]!
      const parts = path.split('/').filter(Boolean)
      const candidates = new Set<string>()
      for (let i = parts.length; i >= 1; i--) {
        const p = '/' + parts.slice(0, i).join('/')
        candidates.add(p)
        candidates.add(`${p}/new`)
      }
      if (ids.childId) {
        candidates.add(`/concerns/new?child=${ids.childId}`)
        candidates.add(`/children/${ids.childId}`)
      }
      // then every page under the same first segment, with the same ids
      for (const g of ctx.s.app.routeTable) {
        if (g.method !== 'GET' || g.url.split('/')[1] !== parts[0] || /pdf|download|export|\.(json|csv)|print/.test(g.url)) continue
        const filled = g.url.replace(/:([a-zA-Z]+)/g, (_, p: string) => ids[p] ?? '')
        if (!filled.includes('//') && !filled.endsWith('/')) candidates.add(filled)
      }
      for (const c of candidates) {
        const html = await page(a, key, c)
        if (!html) continue
        for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
          const action = /\baction="([^"]*)"/.exec(m[1]!)?.[1]?.replace(/&amp;/g, '&')
          const target = action === undefined || action === '' ? c : action
          if (target.split(/[?#]/)[0] !== path) continue
          const fields = [...new Set([...m[2]!.matchAll(/<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"/g)].map((x) => x[1]!).filter((n) => n !== '_csrf'))]
          return { fields, from: c }
        }
      }
      return null
    }

    const post = async (a: Agent, url: string, body: Record<string, string | string[]>) => {
      const res = await a.post(url, body)
      return res
    }

    for (const route of all) {
      const permission = route.declaration!.permission as Permission
      const key = ROLE_RULES.find(([re, k]) => re.test(route.url) && hasPermission(roleOf(k), permission))?.[1] ?? people.find((p) => hasPermission(p.memberships[0]!.role as Role, permission))?.key
      if (!key) {
        uncovered.push(`${route.url}: no demo practitioner has ${permission}`)
        continue
      }
      const a = await agent(key)
      const role = roleOf(key)
      const missing: string[] = []
      const url = route.url.replace(/:([a-zA-Z]+)/g, (_, p: string) => {
        const v = (p === 'referralId' && route.url.startsWith('/mace/') ? ids.maceReferralId : ids[p]) ?? undefined
        if (v === undefined) {
          missing.push(p)
          return randomUUID()
        }
        return encodeURIComponent(v)
      })
      const form = await formFor(a, key, url)
      const fields = form?.fields.length ? form.fields : ['reason', 'rowVersion', 'idempotencyKey', 'childId', 'children', 'decision', 'response', 'notes', 'date', 'time', 'kind', 'name', 'version']
      if (!missing.length) withRealIds++
      const bodies: [string, Record<string, string | string[]>][] = [
        // two values no record holds by chance (ids joined by commas, as a signal's fingerprint is, can hold "a,b")
        ['repeated', Object.fromEntries(fields.map((f) => [f, ['zqa', 'zqb']]))],
        ['20k', Object.fromEntries(fields.map((f) => [f, 'x'.repeat(20_000)]))],
        ...ODD.map((v): [string, Record<string, string | string[]>] => [`odd ${v}`, Object.fromEntries(fields.map((f) => [f, v]))]),
        ['empty', {}],
      ]
      for (const [kind, body] of bodies) {
        const res = await post(a, url, body)
        const s = res.statusCode
        const line = `${key} (${role}) POST ${route.url} ${kind} → ${s}`
        if (s >= 500) problems.push(`${line} (${errorText(res.body)})`)
        else if ((s === 400 || s === 422) && !res.body.includes('govuk-error-summary')) problems.push(`${line} without the GOV.UK error summary (${errorText(res.body)})`)
        else if (s === 400 || s === 422) {
          // each of the summary's links goes somewhere on the page: a field, or the part of the page at fault
          for (const target of summaryTargets(res.body)) if (!new RegExp(`\\bid="${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(res.body)) problems.push(`${line}: the error summary links #${target}, which is not on the page`)
        }
        // the session must survive: a signed-out agent would make every later answer meaningless
        if (s === 302 && res.headers.location === '/sign-in') forget(key)
      }
    }
    // a repeated field is refused or read as one value, never saved as the two joined (`String(['zqa', 'zqb'])` is "zqa,zqb"):
    // every text, array and JSON column outside the audit is searched for them
    const found = await ctx.s.t.privileged(async (db) => {
      const cols = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'ARRAY') and table_name not like 'audit%'`.execute(db)
      const out: string[] = []
      for (const c of cols.rows) {
        const r = await sql<{ v: string }>`select ${sql.ref(c.column_name)}::text as v from ${sql.table(c.table_name)} where ${sql.ref(c.column_name)}::text like '%zqa,zqb%' limit 3`.execute(db)
        for (const x of r.rows) out.push(`${c.table_name}.${c.column_name}: ${x.v.slice(0, 120)}`)
      }
      return out
    })
    assert.deepEqual(found, [], 'repeated fields saved joined')
    assert.deepEqual(uncovered, [])
    // the sweep reaches the handlers of real records, not only their 404: a setup that stops making records fails here
    assert.ok(withRealIds >= 120, `${withRealIds} of ${all.length} routes posted with real ids (setup: ${setupNotes.join('; ') || 'no problems'})`)
    assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`)
  })
})

/** The ids the error summary's links point at. */
function summaryTargets(body: string): string[] {
  const summary = /<div class="govuk-error-summary[\s\S]*?<\/ul>/.exec(body)?.[0] ?? ''
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))
}

