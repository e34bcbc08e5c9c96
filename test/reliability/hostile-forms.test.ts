// Hostile form bodies on real records: every page form POST that takes a child or record id is sent, as a role that
// has the route's permission and with ids of records that role can reach, a field repeated (`a=1&a=2`), 20,000
// characters in every field, odd values ('-1', '1e309', '0x10', '2026-02-30', '../..', '<script>') and an empty body.
// The access matrix (test/access/matrix.test.ts) only posts empty bodies with random ids: this reaches the handlers'
// parsing and validation. The answer is never a 500, and a 400/422 is the form again with the GOV.UK error summary
// (or the request is redirected, or answered 404).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { hasPermission, type Permission, type Role } from '../../src/access/policy.ts'
import { demoPractitioners } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'
import { describeApp } from '../support/app.ts'
import { sql } from 'kysely'
import type { Agent } from '../support/agent.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const membershipOf = (key: string, i = 0) => id(`membership:${key}:${i}`)

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
const LAST = /\/(leave|end|remove|withdraw|disable|reset-mfa|cancel|unmerge|reassign|lift)$/

const ODD = ['-1', '1e309', '0x10', '2026-02-30', '../..', '<script>alert(1)</script>']

interface Form {
  fields: string[]
  from: string
}

describeApp('hostile form bodies on real records', (ctx) => {
  const people = demoPractitioners()
  const roleOf = (key: string) => people.find((p) => p.key === key)!.memberships[0]!.role as Role
  const agents = new Map<string, Agent>()
  const agent = async (key: string) => {
    let a = agents.get(key)
    if (!a) {
      a = await ctx.s.signIn(key)
      agents.set(key, a)
    }
    return a
  }
  const ids: Record<string, string> = {}
  const setupNotes: string[] = []
  const q = <T>(fn: (db: typeof ctx.s.t.db) => Promise<T>) => ctx.s.t.privileged(fn)

  it('setup: a child in reach of every case role, and a record of each kind made through the pages', { timeout: 600_000 }, async () => {
    // a Brookside pupil open to children's social care: allocated to sw.north, with a team around the child where the
    // Brookside DSL is a member; health and police hold agency records (the demo generator gives these together)
    const pupils = await q((db) =>
      db
        .selectFrom('relationship as a')
        .innerJoin('relationship as p', 'p.child_id', 'a.child_id')
        .innerJoin('tac_child as tc', 'tc.child_id', 'a.child_id')
        .select(['a.child_id', 'tc.tac_id'])
        .where('a.type', '=', 'allocated_worker')
        .where('a.holder_membership_id', '=', membershipOf('sw.north'))
        .where('p.type', '=', 'pupil_at')
        .where('p.holder_agency_id', '=', id('agency:brookside'))
        .orderBy('a.child_id')
        .execute(),
    )
    assert.ok(pupils.length, 'a Brookside pupil allocated to sw.north')
    // prefer one the police desk reaches too (an agency record of the police)
    let chosen = pupils[0]!
    for (const p of pupils) {
      const police = await q((db) => db.selectFrom('relationship').select('id').where('child_id', '=', p.child_id).where('holder_agency_id', '=', id('agency:police')).executeTakeFirst())
      if (police) {
        chosen = p
        break
      }
    }
    const childId = chosen.child_id
    const tacId = chosen.tac_id
    ids.childId = childId
    ids.tacId = tacId
    const child = await q((db) => db.selectFrom('child').selectAll().where('id', '=', childId).executeTakeFirstOrThrow())

    const step = async (name: string, fn: () => Promise<{ statusCode: number; body: string } | void>) => {
      try {
        const r = await fn()
        if (r && r.statusCode >= 400) setupNotes.push(`setup ${name}: ${r.statusCode} ${errorText(r.body)}`)
      } catch (e) {
        setupNotes.push(`setup ${name}: threw ${(e as Error).message}`)
      }
    }
    const teacher = await agent('teacher.brookside')
    const dsl = await agent('dsl.brookside')
    const sw = await agent('sw.north')
    const police = await agent('police.mash')
    const ig = await agent('ig')
    const today = ctx.s.clock.now().toISOString().slice(0, 10)

    await step('concern', async () => {
      await teacher.get(`/concerns/new?child=${childId}`)
      return teacher.post('/concerns', { children: childId, category: 'neglect', seenOrHeard: 'Hungry again.', occurredDate: '2026-11-20', immediateDanger: 'no', idempotencyKey: randomUUID() })
    })
    const concern = await q((db) => db.selectFrom('concern').select('id').orderBy('created_at', 'desc').executeTakeFirst())
    await step('referral', async () => {
      await dsl.get('/referrals/new')
      return dsl.post('/referrals', { idempotencyKey: randomUUID(), children: [childId], ...(concern ? { concernIds: [concern.id] } : {}), kind: 'referral', reason: 'Bruising to both upper arms.', levelBelieved: '4', levelReason: 'Physical injury with a disclosure', parentsKnow: 'no', parentsNotToldReason: 'Telling dad could put her at risk', urgency: 'today' })
    })
    await step('consultation', () => dsl.post('/consultations', { childId, question: 'Early help, or keep supporting in school?' }))
    await step('missing episode', () => police.post(`/children/${childId}/missing`, { missingDate: today, missingTime: '07:00', risk: 'medium', circumstances: 'Did not return home.' }))
    await step('encompass notice', () => police.post('/encompass', { idempotencyKey: randomUUID(), children: [childId], incidentDate: '2026-11-20', incidentTime: '21:40', summary: 'Police attended a domestic incident at home; the child was present.' }))
    await step('plan outcome', () => sw.post(`/teams/${tacId}/plan/outcomes`, { body: `${child.given_name} goes to school every day`, measure: 'scale' }))
    const outcome = await q((db) => db.selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).executeTakeFirst())
    if (outcome) await step('plan action', () => sw.post(`/teams/${tacId}/plan/outcomes/${outcome.id}/actions`, { what: 'Attend parenting course', owner: 'other', ownerName: 'Mum', ownerAgency: 'Mum', dueOn: '2026-12-01', place: 'Children’s centre', cost: '12.50' }))
    await step('assessment', async () => {
      const r = await sw.post(`/teams/${tacId}/assessments`, { childId, kind: 'child_and_family' })
      return r.statusCode >= 400 ? sw.post(`/teams/${tacId}/assessments`, { childId, kind: 'early_help' }) : r
    })
    await step('team meeting', () => sw.post(`/teams/${tacId}/meetings`, { kind: 'team', date: '2026-12-02', time: '10:00', mode: 'in_person', place: 'School', agenda: 'Review', chair: membershipOf('sw.north') }))
    await step('visit', () => sw.post(`/children/${childId}/visits`, { visitedDate: today, visitedTime: '09:00', childSeen: 'yes', seenAlone: 'yes', childWords: 'Fine', observations: 'Tidy home' }))
    await step('exploitation screening', () => dsl.post(`/children/${childId}/exploitation/screenings`, { rulesVersion: '1', ...Object.fromEntries(['missing', 'gifts_money', 'older_associates', 'substances', 'sexual_health', 'school', 'weapons', 'travel', 'phones', 'self_harm', 'offending', 'behaviour', 'online', 'gangs', 'injuries'].map((k) => [`score_${k}`, k === 'missing' ? '3' : '0'])), notes: 'Seen at the bus station late at night' }))
    await step('exploitation referral', () => dsl.post(`/children/${childId}/exploitation/referrals`, { referReason: 'Seen with older peers' }))
    await step('exploitation link', () => dsl.post(`/children/${childId}/exploitation/links`, { kind: 'adult', label: 'Unknown adult in a red car', linkNotes: 'Seen together' }))
    const entry = await q((db) => db.selectFrom('entry').select('id').where('child_id', '=', childId).where('source_agency_id', '=', id('agency:brookside')).orderBy((eb) => eb(eb.ref('author_membership_id'), '=', membershipOf('dsl.brookside')), 'desc').orderBy('id').executeTakeFirst())
    if (entry) {
      ids.entryId = entry.id
      await step('seal request', () => dsl.post(`/entries/${entry.id}/seal`, { reason: 'Allegation against a relative who works in a partner agency' }))
      await step('dispute', () => dsl.post(`/entries/${entry.id}/disputes`, { kind: 'dispute', raisedByName: 'Mum', raisedByRelationship: 'parent', statement: 'Mum says this did not happen' }))
    }
    await step('subject access request', () => ig.post('/subject-access', { givenName: child.given_name, familyName: child.family_name, dateOfBirth: child.date_of_birth ?? '', requesterRelationship: 'parent', requesterName: 'Parent', identityVerified: 'Passport seen', receivedOn: '2026-11-20' }))
    await step('bulk export', () => ig.post('/exports', { children: childId, includeConcerns: 'no', purpose: 'court', lawfulBasis: '6.1.c', reason: 'Court order' }))
    await step('self-claim', async () => {
      const a = await agent('sw.south')
      await a.get('/access/claim')
      ctx.s.clock.advance(31_000)
      const code = await totpAt(people.find((p) => p.key === 'sw.south')!.totpSecret, ctx.s.clock.now())
      return a.post('/access/claim', { nhsNumber: child.nhs_number ?? '', reason: 'Duty worker for the family', code })
    })
    await step('file transfer', () => dsl.post(`/children/${childId}/file-transfer`, { destination: 'partnership', toAgencyId: id('agency:academy'), leftOn: '2026-11-20', lawfulBasis: '6.1.e', checked: 'yes', note: 'Moved to secondary' }))
    await step('legal hold', () => ig.post(`/retention/children/${childId}/hold`, { reason: 'Litigation' }))
    await step('records import', async () => {
      const admin = await agent('admin.csc')
      await admin.get('/records/import')
      return admin.post('/records/import', { kind: 'records', csv: 'source_ref,given_name,family_name,date_of_birth,sex\nHF-1,Hostile,Forms,2015-01-01,female\n', fileName: 'hf.csv' })
    })

    // the other ids: the newest row of each kind the pages above (or the demo data) made
    const newest = async (table: string, col = 'id', where?: [string, string]) => {
      try {
        return await q(async (db) => {
          let s = db.selectFrom(table as 'concern').select(`${col} as v` as 'id')
          if (where) s = s.where(where[0] as 'id', '=', where[1])
          const row = await s
            .orderBy(sql`to_jsonb(${sql.table(table)}) ->> 'created_at'`, 'desc')
            .limit(1)
            .executeTakeFirst()
          return row ? String((row as unknown as { v: unknown }).v) : undefined
        })
      } catch (e) {
        setupNotes.push(`lookup ${table}.${col}: ${(e as Error).message}`)
        return undefined
      }
    }
    const want: [string, string, string?, [string, string]?][] = [
      ['concernId', 'concern'],
      ['consultationId', 'consultation'],
      ['referralId', 'referral'],
      ['noticeId', 'encompass_notice'],
      ['episodeId', 'missing_episode'],
      ['enquiryId', 'cp_enquiry'],
      ['clockId', 'clock', 'id', ['child_id', childId]],
      ['linkId', 'exploitation_link'],
      ['maceReferralId', 'mace_referral'],
      ['assessmentId', 'assessment', 'id', ['tac_id', tacId]],
      ['visitId', 'visit'],
      ['ruleCode', 'signal_rule', 'code'],
      ['signalId', 'risk_signal'],
      ['practitionerId', 'practitioner', 'id', ['id', id('practitioner:sw2.north')]],
      ['membershipId', 'membership', 'id', ['id', membershipOf('sw2.north')]],
      ['dateId', 'bank_holiday', 'on_date'],
      ['termId', 'school_term', 'id', ['school_agency_id', id('agency:brookside')]],
      ['categoryId', 'concern_category', 'code'],
      ['recordId', 'agency_record'],
      ['memberId', 'tac_member', 'id', ['tac_id', tacId]],
      ['familyId', 'tac_family_member', 'id', ['tac_id', tacId]],
      ['outcomeId', 'plan_outcome', 'id', ['tac_id', tacId]],
      ['actionId', 'plan_action'],
      ['meetingId', 'meeting', 'id', ['tac_id', tacId]],
      ['approvalId', 'approval_request'],
      ['ruleId', 'sharing_agreement_rule'],
      ['requestId', 'information_request', 'id', ['status', 'open']],
      ['transferId', 'file_transfer'],
      ['reviewId', 'access_review'],
      ['reportId', 'retention_report'],
      ['sarId', 'subject_access_request'],
      ['itemId', 'subject_access_item'],
      ['disputeId', 'entry_dispute'],
      ['exportId', 'bulk_export'],
      ['notificationId', 'notification', 'id', ['membership_id', membershipOf('police.mash')]],
    ]
    for (const [param, table, col, where] of want) {
      if (ids[param]) continue
      let v = await newest(table, col ?? 'id', where)
      if (v === undefined && where) v = await newest(table, col ?? 'id')
      if (v !== undefined) ids[param] = v
    }
    // a date id of the settings page is written as a day
    if (ids.dateId && !/^\d{4}-\d{2}-\d{2}$/.test(ids.dateId)) ids.dateId = new Date(ids.dateId).toISOString().slice(0, 10)
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
        ['repeated', Object.fromEntries(fields.map((f) => [f, ['a', 'b']]))],
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
        if (s === 302 && res.headers.location === '/sign-in') agents.delete(key)
      }
    }
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

/** The visible error text of a page: the error summary's items, else the heading and first paragraph. */
function errorText(body: string): string {
  const summary = /<div class="govuk-error-summary[\s\S]*?<\/div>\s*<\/div>/.exec(body)?.[0]
  const text = (summary ?? /<h1[\s\S]*?<\/p>/.exec(body)?.[0] ?? body).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
  return text.slice(0, 200)
}
