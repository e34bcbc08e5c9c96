// Hostile query strings on real records: every page GET route (not the API, not the assets, not the sign-in, MFA and
// passkey machinery) is read, as a role that has the route's permission and with ids of records that role can reach,
// first plainly, then with each query parameter the route reads (found in its handler's source, in the page's GET
// forms and `?name=` links, plus a generic list) set to a repeated value (`p=1&p=2`), 20,000 characters, odd numbers
// and dates ('-1', '1e309', '0x10', '2026-02-30', …), '../..', a NUL, an encoded lone surrogate, '<script>', a long
// uuid-like string, an emoji and an empty value. The sibling sweeps (hostile-forms, the access matrix) read pages
// without a query: this reaches the handlers' query parsing. The answer is never a 500; a 400 is the page with the
// GOV.UK error summary or the GOV.UK error page; '<script>' is never echoed unescaped; and every link of an error
// summary goes to an element on the page.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { hasPermission, type Permission, type Role } from '../../src/access/policy.ts'
import { demoPractitioners } from '../../src/data/seed.ts'
import { describeApp } from '../support/app.ts'
import { errorText, recordsThroughPages, signedInAgents } from '../support/records.ts'


/** Who reads a route first: the first rule whose pattern matches and whose role has the route's permission. */
const ROLE_RULES: [RegExp, string][] = [
  [/^\/front-door\/referrals\/:referralId$/, 'frontdoor'],
  [/^\/front-door/, 'frontdoor'],
  [/^\/referrals/, 'dsl.brookside'],
  [/^\/concerns/, 'dsl.brookside'],
  [/^\/triage$/, 'dsl.brookside'],
  [/^\/consultations/, 'dsl.brookside'],
  [/^\/encompass/, 'police.mash'],
  [/^\/children\/:childId\/missing/, 'police.mash'],
  [/^\/teams\/:tacId\/cp/, 'sw.north'],
  [/^\/clocks/, 'manager.north'],
  [/^\/children\/:childId\/exploitation/, 'dsl.brookside'],
  [/^\/mace/, 'police.mash'],
  [/^\/teams/, 'sw.north'],
  [/^\/children\/:childId\/visits/, 'sw.north'],
  [/^\/children\/:childId\/oversight$/, 'manager.north'],
  [/^\/children\/:childId\/teams$/, 'dsl.brookside'],
  [/^\/children\/:childId\/(sharing-decisions|file-transfer)/, 'dsl.brookside'],
  [/^\/sharing-decisions\//, 'dsl.brookside'],
  [/^\/children\/:childId\/information-requests$/, 'frontdoor'],
  [/^\/information-requests\/inbox$/, 'police.mash'],
  [/^\/information-requests\/:requestId$/, 'frontdoor'],
  [/^\/information-requests/, 'frontdoor'],
  [/^\/signals/, 'dsl.brookside'],
  [/^\/notifications/, 'police.mash'],
  [/^\/entries\//, 'dsl.brookside'],
  [/^\/approvals\/:approvalId$/, 'head.brookside'],
  [/^\/approvals/, 'head.brookside'],
  [/^\/file-transfers\/:transferId\/exports/, 'dsl.academy'],
  [/^\/file-transfers/, 'dsl.brookside'],
  [/^\/access\/(reviews|alerts)/, 'ig'],
  [/^\/retention\/reports\/:reportId$/, 'ig2'],
  [/^\/retention/, 'ig'],
  [/^\/subject-access/, 'ig'],
  [/^\/exports/, 'ig'],
  [/^\/governance/, 'ig'],
  [/^\/records\/import$/, 'admin.csc'],
  [/^\/records/, 'partnership.admin'],
  [/^\/admin\//, 'admin.csc'],
  [/^\/settings\/(terms|closures|start-of-day)/, 'admin.brookside'],
  [/^\/settings/, 'partnership.admin'],
  [/^\/access-log$/, 'ig'],
  [/^\/children\/:childId\/access-log$/, 'ig'],
  [/^\/access\/(emergency|claim)$/, 'sw.south'],
  [/^\/children\//, 'dsl.brookside'],
  [/^\/(search|directory)$/, 'dsl.brookside'],
]
/** When the first role's plain read is not a 200, the next roles with the permission tried (these reach the child). */
const FALLBACK_KEYS = ['dsl.brookside', 'sw.north', 'manager.north', 'police.mash', 'frontdoor', 'ig', 'partnership.admin', 'admin.csc', 'head.brookside', 'ssw', 'teacher.brookside']

/** Outside this sweep: the API and static files (own sweeps), and the sign-in, sign-out, MFA and passkey machinery. */
const SKIP = /^\/(api\/|assets\/|public\/|sign-in|sign-out|session\/)/
/** Rendered by Chromium: seconds each, and their query handling is the HTML page's (the same handler reads it). */
const PDF = /\.pdf$/

/** Parameters tried on every route whatever it reads: names used across the app's filters and lists. */
const GENERIC = ['page', 'from', 'to', 'q', 'name', 'dob', 'agency', 'category', 'type', 'family', 'limit', 'offset', 'rule', 'child', 'status', 'sort']

/** [label, the raw (already percent-encoded where needed) text after `name=`]. */
const CASES: [string, string | null][] = [
  ['repeated', null],
  ['20k', 'x'.repeat(20_000)],
  ['-1', '-1'],
  ['0', '0'],
  ['1e309', '1e309'],
  ['0x10', '0x10'],
  ['99999999999999999999', '99999999999999999999'],
  ['1.5', '1.5'],
  ['2026-02-30', '2026-02-30'],
  ['0000-01-01', '0000-01-01'],
  ['../..', encodeURIComponent('../..')],
  ['%00', '%00'],
  ['%ED%A0%80', '%ED%A0%80'],
  ['<script>', encodeURIComponent('<script>')],
  ['uuid-like', encodeURIComponent(`${randomUUID()}-${randomUUID()}-${randomUUID()}`.slice(0, 90))],
  ['emoji', encodeURIComponent('🧸')],
  ['empty', ''],
]

describeApp('hostile query strings on real records', (ctx) => {
  const people = demoPractitioners()
  const roleOf = (key: string) => people.find((p) => p.key === key)!.memberships[0]!.role as Role
  const { agent, forget } = signedInAgents(ctx)
  const ids: Record<string, string> = {}
  const setupNotes: string[] = []

  // the same records as the hostile-forms sweep, made through the pages
  it('setup: a child in reach of every case role, and a record of each kind made through the pages', { timeout: 600_000 }, async () => {
    await recordsThroughPages(ctx.s, agent, ids, setupNotes)
  })

  it('every page GET: hostile query strings never give a 500, and a refusal is a GOV.UK error page', { timeout: 1_800_000 }, async () => {
    const problems: string[] = []
    const uncovered: string[] = []
    const notPlain: string[] = []
    const skipped: string[] = []
    let readWithRealIds = 0
    let requests = 0
    const readsBySource = queryReadsFromSource()
    const routes = ctx.s.app.routeTable.filter((r) => r.method === 'GET' && r.url.startsWith('/') && !SKIP.test(r.url) && r.url !== '*')
    for (const route of routes) {
      if (PDF.test(route.url)) {
        skipped.push(`${route.url} (PDF through Chromium)`)
        continue
      }
      const permission = route.declaration?.permission as Permission | undefined
      if (!permission) {
        uncovered.push(`${route.url}: no route declaration`)
        continue
      }
      const can = (k: string) => permission === 'public' || permission === 'signed-in' || hasPermission(roleOf(k), permission)
      const first = ROLE_RULES.find(([re, k]) => re.test(route.url) && can(k))?.[1]
      const keys = [...new Set([...(first ? [first] : []), ...FALLBACK_KEYS.filter(can), ...people.filter((p) => can(p.key)).map((p) => p.key)])].slice(0, 5)
      if (!keys.length) {
        uncovered.push(`${route.url}: no demo practitioner has ${permission}`)
        continue
      }
      const missing: string[] = []
      const url = route.url.replace(/:([a-zA-Z]+)/g, (_, p: string) => {
        const transferExport = route.url.startsWith('/file-transfers/:transferId/exports/')
        const v = p === 'referralId' && route.url.startsWith('/mace/') ? ids.maceReferralId : transferExport && p === 'exportId' ? ids.transferExportId : transferExport && p === 'transferId' ? ids.transferOfExportId : ids[p]
        if (v === undefined) {
          missing.push(p)
          return randomUUID()
        }
        return encodeURIComponent(v)
      })
      // the first role whose plain read is a 200: it has the permission and the record is in its reach
      let key = keys[0]!
      let plain = await (await agent(key)).get(url)
      requests++
      for (const k of keys.slice(1)) {
        if (plain.statusCode === 200) break
        const r = await (await agent(k)).get(url)
        requests++
        if (r.statusCode === 200) {
          key = k
          plain = r
        }
      }
      const a = await agent(key)
      const role = roleOf(key)
      if (plain.statusCode >= 500) problems.push(`${key} (${role}) GET ${url} (no query) → ${plain.statusCode} (${errorText(plain.body)})`)
      if (plain.statusCode === 200 && !missing.length) readWithRealIds++
      else notPlain.push(`${route.url} → ${plain.statusCode}${missing.length ? ` (no id for ${missing.join(', ')})` : ''} as ${keys.join('/')}`)
      const plainHtml = /^text\/html/.test(String(plain.headers['content-type'])) ? plain.body : ''
      const plainScripts = count(plainHtml, '<script>')

      // each parameter the route reads is sent alone; the generic names it is not seen to read go together (one
      // request per case), which keeps the sweep within minutes and still reaches a read the source search missed
      const read = [...new Set([...(readsBySource(route.url) ?? []), ...queryNamesInPage(plainHtml, url.split('?')[0]!)])]
      const unread = GENERIC.filter((g) => !read.includes(g))
      const groups: string[][] = [...read.map((p) => [p]), ...(unread.length ? [unread] : [])]
      for (const group of groups) {
        const p = group.length === 1 ? group[0]! : `{${group.join(',')}}`
        for (const [label, raw] of CASES) {
          const qs = group.map((n) => (raw === null ? `${encodeURIComponent(n)}=1&${encodeURIComponent(n)}=2` : `${encodeURIComponent(n)}=${raw}`)).join('&')
          const target = `${url}?${qs}`
          const res = await a.get(target)
          requests++
          const s = res.statusCode
          const line = `${key} (${role}) GET ${url} ?${p}=${label} → ${s}`
          const html = /^text\/html/.test(String(res.headers['content-type'])) ? res.body : ''
          if (s >= 500) problems.push(`${line} (${errorText(res.body)})`)
          else if (s === 400 && !res.body.includes('govuk-error-summary') && !isGovukErrorPage(res.body)) problems.push(`${line} without the GOV.UK error summary or error page (${errorText(res.body)})`)
          if (html && label === '<script>' && count(html, '<script>') > plainScripts) problems.push(`${line}: '<script>' echoed unescaped`)
          if (html) for (const t of summaryTargets(html)) if (!new RegExp(`\\bid="${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(html)) problems.push(`${line}: the error summary links #${t}, which is not on the page (${errorText(html)})`)
          // the session must survive: a signed-out agent would make every later answer meaningless
          if (s === 302 && res.headers.location === '/sign-in') {
            problems.push(`${line}: signed out`)
            forget(key)
            break
          }
        }
      }
    }
    assert.deepEqual(uncovered, [])
    // the sweep reaches the handlers of real records, not only their 404: a setup that stops making records fails here
    assert.ok(readWithRealIds >= 95, `${readWithRealIds} of ${routes.length - skipped.length} routes read (200) with real ids; not read: ${notPlain.join('; ')} (setup: ${setupNotes.join('; ') || 'no problems'})`)
    // every route gets every case for each parameter it reads and for the generic names: about 4,500 requests
    assert.ok(requests >= 4_000, `${requests} requests`)
    assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}`)
  })
})

/**
 * The query parameters each GET route's handler reads, found in the modules' source: the keys of a
 * `request.query as { … }` and the properties read from a variable assigned `request.query`. Reads in a file's helper
 * functions (outside any route's handler) count for every GET route of that file.
 */
function queryReadsFromSource(): (url: string) => string[] | undefined {
  const root = path.resolve(import.meta.dirname, '../../src/modules')
  const found: { pattern: RegExp; keys: Set<string> }[] = []
  for (const file of fs.readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue
    const text = fs.readFileSync(path.join(root, file), 'utf8')
    if (!text.includes('request.query')) continue
    const starts = [...text.matchAll(/\br\.(get|post|put|patch|delete)\(\s*(['`])([^'`]*)\2/g)]
    if (!starts.length) continue
    const helperKeys = new Set<string>()
    const segments: { method: string; url: string; body: string }[] = []
    let helperText = text.slice(0, starts[0]!.index)
    for (let i = 0; i < starts.length; i++) {
      const m = starts[i]!
      const end = i + 1 < starts.length ? starts[i + 1]!.index : text.length
      let body = text.slice(m.index, end)
      // a top-level function after a handler is a helper, not the handler's own text
      const cut = body.search(/\n {2}(async )?function |\n {2}const \w+ = (async )?\(/)
      if (cut > 0) {
        helperText += body.slice(cut)
        body = body.slice(0, cut)
      }
      segments.push({ method: m[1]!, url: m[3]!, body })
    }
    for (const k of keysRead(helperText)) helperKeys.add(k)
    for (const s of segments) {
      if (s.method !== 'get') continue
      const pattern = new RegExp(`^${s.url.replace(/\$\{[^}]+\}/g, '@@ANY@@').replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/@@ANY@@/g, '.*')}$`)
      found.push({ pattern, keys: new Set([...keysRead(s.body), ...helperKeys]) })
    }
  }
  return (url) => {
    const hit = found.filter((f) => f.pattern.test(url))
    return hit.length ? [...new Set(hit.flatMap((h) => [...h.keys]))] : undefined
  }
}

function keysRead(text: string): string[] {
  const keys = new Set<string>()
  for (const m of text.matchAll(/request\.query\s*(?:\?\?\s*\{\}\s*\))?\s*as\s*\{([^}]*)\}/g)) for (const k of m[1]!.matchAll(/(\w+)\??\s*:/g)) keys.add(k[1]!)
  for (const m of text.matchAll(/(?:const|let)\s+(\w+)\s*=\s*\(?\s*request\.query\b/g)) {
    const v = m[1]!
    for (const k of text.matchAll(new RegExp(`\\b${v}(?:\\?)?\\.(\\w+)|\\b${v}\\[['"](\\w+)['"]\\]`, 'g'))) keys.add(k[1] ?? k[2]!)
  }
  return [...keys]
}

/** The names of the fields of the page's GET forms and of the query parameters of its links to itself. */
function queryNamesInPage(html: string, path: string): string[] {
  const names = new Set<string>()
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    if (!/\bmethod="get"/i.test(m[1]!)) continue
    for (const f of m[2]!.matchAll(/<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"/g)) names.add(f[1]!)
  }
  for (const m of html.matchAll(/\bhref="([^"]*\?[^"#]*)/g)) {
    const href = m[1]!.replace(/&amp;/g, '&')
    const [p, query] = [href.slice(0, href.indexOf('?')), href.slice(href.indexOf('?') + 1)]
    if (p !== '' && p !== path) continue
    for (const pair of query.split('&')) {
      const n = pair.split('=')[0]
      if (n) names.add(decodeURIComponent(n))
    }
  }
  names.delete('_csrf')
  return [...names]
}

function count(s: string, needle: string): number {
  return s.split(needle).length - 1
}

/** The GOV.UK error page of the app (error.njk): 'There is a problem…' or 'Page not found' as the heading. */
function isGovukErrorPage(body: string): boolean {
  return /<h1 class="govuk-heading-l">\s*(There is a problem|Page not found)/.test(body) || /<title>[^<]*(There is a problem|Page not found)/.test(body)
}

/** The ids the error summary's links point at. */
function summaryTargets(body: string): string[] {
  const summary = /<div class="govuk-error-summary[\s\S]*?<\/ul>/.exec(body)?.[0] ?? ''
  return [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))
}

