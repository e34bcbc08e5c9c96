// Double clicks and refreshes on the page forms that change state: the SAME valid submission is posted twice at the
// same moment (Promise.all), then once more after both finished (a refresh, or the browser's "resend"). Whatever the
// engine does with the race, the outcome is one effect: no 500; one new record for a form with an idempotency key
// (concern, referral, Operation Encompass, sharing decision); one state change, one audit success row, one entry and
// one notice for an acknowledgement, decision, sign-off, answer…; never an entry or a notification without its
// record. The other attempts get the same redirect (an idempotent replay) or a 400/409/422 page with the GOV.UK error
// summary saying why. Forms that make records with no key of their own (a consultation question, a check, a plan
// action, a missing report, a visit, a meeting) carry the page's formKey and must make one record too. Any other
// create without a key may make two records for two identical posts: reported as observations (test diagnostics), not
// failures — unless the form itself refuses the same submission sent again afterwards (a second team for the child,
// the same practitioner invited twice…), when two records from the double click mean the rule broke under the race.
// Records are made through the pages, as in test/reliability/hostile-forms.test.ts (setup and bodies copied from it).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { demoPractitioners } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'
import { systemRepository } from '../../src/data/system.ts'
import { GOLDEN_RULES } from '../../src/modules/sharing/codes.ts'
import { describeApp } from '../support/app.ts'
import { errorText, signedInAgents, sweepChild } from '../support/records.ts'
import { pupilOf } from '../support/tac.ts'
import type { Agent } from '../support/agent.ts'
import { sql } from 'kysely'

const id = (k: string) => stableUuid(`northshire:${k}`)
const P = stableUuid('partnership:northshire')
const membershipOf = (key: string, i = 0) => id(`membership:${key}:${i}`)
const ALL_RULES = GOLDEN_RULES.map((r) => r.code)
const formKey = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)?.[1]
/** The key a page gives its forms that have no key of their own (RouteDeclaration.formKey). */
const pageFormKey = (html: string) => /name="formKey" value="([^"]+)"/.exec(html)?.[1]

type Body = Record<string, string | string[]>
type Res = Awaited<ReturnType<Agent['post']>>

/**
 * keyed: a form with an idempotency key (exactly one record, whatever happens).
 * state: a change of state of an existing record (applied once: one audit success row, at most one entry).
 * create: a form without a key that adds a record (two may be legitimate: an observation, unless the form refuses
 * the same submission sent again afterwards).
 */
type Kind = 'keyed' | 'create' | 'state'

interface Spec {
  name: string
  who: string
  url: string
  body: Body
  kind: Kind
  /** The audit actions a success writes (outcome 'success'). */
  actions: string[]
  /** The route's main table, and (optionally) which of its rows to count. */
  table?: string
  where?: [string, unknown][]
  /** How many rows of `table` one success adds (information requests: one per agency asked). */
  rowsPer?: number
  /** How many entries one success writes, for a change of state (an answer shares one and notes another). */
  entriesPer?: number
  /** A create whose form carries the page's formKey rather than an idempotencyKey of its own. */
  formKeyed?: boolean
  /** The first success ends the practitioner's reach of the record (leaving a team): a repeat may be its 404. */
  goneAfter?: boolean
  /** The child whose entries are counted. */
  child: string
  /** A page to load first (the form: its CSRF token; for a keyed form, its key is used unless the body has one). */
  page?: string
}

interface Snapshot {
  table: number
  entries: number
  notifications: number
  audit: number
  auditFailure: number
  replays: number
  notificationIds: Set<string>
  byAction: Map<string, number>
}

describeApp(
  'double submits and refreshes on page forms',
  (ctx) => {
    const people = demoPractitioners()
    const { agent, forget } = signedInAgents(ctx)
    const q = <T>(fn: (db: typeof ctx.s.t.db) => Promise<T>) => ctx.s.t.privileged(fn)
    const problems: string[] = []
    const observations: string[] = []
    const uncovered: string[] = []
    const covered: string[] = []

    const count = async (table: string, where: [string, unknown][] = []) =>
      q(async (db) => {
        let s = db.selectFrom(table as 'entry').select((eb) => eb.fn.countAll<string>().as('n'))
        for (const [c, v] of where) s = s.where(c as 'id', '=', v as string)
        return Number((await s.executeTakeFirstOrThrow()).n)
      })

    const snapshot = async (spec: Spec): Promise<Snapshot> => {
      const audits = await q((db) =>
        db
          .selectFrom('audit_event')
          .select(['action', 'outcome', sql<boolean>`details::text ~ '"replay(ed)?":\\s*true'`.as('replayed'), (eb) => eb.fn.countAll<string>().as('n')])
          .groupBy(['action', 'outcome', sql`3`])
          .execute(),
      )
      // an idempotent replay is audited as a success with { replayed: true }: counted apart, it is not a second effect
      const byAction = new Map<string, number>()
      for (const a of audits) {
        const k = `${a.action} ${a.replayed ? 'replayed' : a.outcome}`
        byAction.set(k, (byAction.get(k) ?? 0) + Number(a.n))
      }
      const sum = (outcome: string) => spec.actions.reduce((t, a) => t + (byAction.get(`${a} ${outcome}`) ?? 0), 0)
      return {
        table: spec.table ? await count(spec.table, spec.where) : 0,
        entries: await count('entry', [['child_id', spec.child]]),
        notifications: await count('notification'),
        audit: sum('success'),
        auditFailure: sum('failure'),
        replays: sum('replayed'),
        notificationIds: new Set((await q((db) => db.selectFrom('notification').select('id').execute())).map((n) => n.id)),
        byAction,
      }
    }

    /** The double click (two posts at once) and the refresh (a third after both), judged. */
    const double = async (spec: Spec): Promise<Res[] | null> => {
      try {
        const a = await agent(spec.who)
        let body = spec.body
        if (spec.page) {
          const page = await a.get(spec.page)
          if (spec.kind === 'keyed' && spec.formKeyed) body = { ...body, formKey: pageFormKey(page.body) ?? randomUUID() }
          else if (spec.kind === 'keyed' && !body.idempotencyKey) body = { ...body, idempotencyKey: formKey(page.body) ?? randomUUID() }
        }
        const before = await snapshot(spec)
        const [r1, r2] = await Promise.all([a.post(spec.url, body), a.post(spec.url, body)])
        const r3 = await a.post(spec.url, body)
        const after = await snapshot(spec)
        const fresh = [...after.notificationIds].filter((n) => !before.notificationIds.has(n))
        const rows = fresh.length ? await q((db) => db.selectFrom('notification').select(['membership_id', 'kind', 'subject_id', 'link']).where('id', 'in', fresh).execute()) : []
        const seen = new Map<string, number>()
        for (const r of rows) seen.set(`${r.kind} to ${r.membership_id} about ${r.subject_id ?? r.link}`, (seen.get(`${r.kind} to ${r.membership_id} about ${r.subject_id ?? r.link}`) ?? 0) + 1)
        const twice = [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`)
        judge(spec, [r1!, r2!, r3], before, after, twice)
        return [r1!, r2!, r3]
      } catch (e) {
        uncovered.push(`${spec.name}: threw ${(e as Error).stack?.split('\n').slice(0, 3).join(' ')}`)
        return null
      }
    }

    const judge = (spec: Spec, rs: Res[], before: Snapshot, after: Snapshot, notifiedTwice: string[]) => {
      const engine = ctx.s.t.engine
      const line = `[${engine}] ${spec.name} (${spec.who} POST ${spec.url})`
      const statuses = rs.map((r) => `${r.statusCode}${r.headers.location ? `→${r.headers.location}` : ''}`).join(', ')
      const d = {
        table: after.table - before.table,
        entries: after.entries - before.entries,
        notifications: after.notifications - before.notifications,
        audit: after.audit - before.audit,
        failure: after.auditFailure - before.auditFailure,
        replays: after.replays - before.replays,
      }
      const deltas = `statuses ${statuses}; +${d.table} ${spec.table ?? '(no table)'}, +${d.entries} entries, +${d.notifications} notifications, +${d.audit} audit success (${spec.actions.join('|')}), +${d.replays} audited replays, +${d.failure} audit failure`
      const found: string[] = []
      const ok = rs.filter((r) => r.statusCode < 400)
      for (const [i, r] of rs.entries()) {
        const which = i === 2 ? 'the resend' : `double-click post ${i + 1}`
        const s = r.statusCode
        if (s >= 500) found.push(`${which} answered ${s} (${errorText(r.body)})`)
        else if (s === 400 || s === 409 || s === 422) {
          if (!r.body.includes('govuk-error-summary')) found.push(`${which} answered ${s} without the GOV.UK error summary (${errorText(r.body)})`)
        } else if (s === 404 && spec.goneAfter) {
          // the first attempt took away the practitioner's reason to see the record (they left the team): the repeat is
          // answered as any record out of reach is, the same 404 as one that does not exist
        } else if (s >= 400) found.push(`${which} answered ${s} (${errorText(r.body)}), not the same redirect nor a 400/409/422 saying why`)
        else if (s === 302 && r.headers.location === '/sign-in') found.push(`${which} signed the practitioner out`)
      }
      if (!ok.length) {
        uncovered.push(`${line}: no attempt succeeded, so nothing was tested (${statuses}; ${rs.map((r) => errorText(r.body)).join(' | ')})`)
        if (found.length) problems.push(`${line}: ${found.join('; ')} — ${deltas}`)
        return
      }
      if (d.failure > 0) found.push(`${d.failure} audit row(s) with outcome failure (an unexpected error inside the transaction)`)
      if (d.audit === 0) {
        const changed = [...after.byAction].filter(([k, n]) => n !== (before.byAction.get(k) ?? 0) && !/ (refused|not_found)$/.test(k)).map(([k, n]) => `${k} +${n - (before.byAction.get(k) ?? 0)}`)
        found.push(`a success answer but no audit success row for ${spec.actions.join('|')} (audit rows written: ${changed.join(', ') || 'none'})`)
      }
      if (d.audit === 0 && (d.entries > 0 || d.notifications > 0 || d.table > 0)) found.push('half-written: entries/notifications/rows without an audited success')
      if (spec.kind !== 'create' && notifiedTwice.length) found.push(`the same notification sent more than once: ${notifiedTwice.join(', ')}`)
      if (spec.kind === 'keyed') {
        if (d.table > 1) found.push(`${d.table} records for one key (a duplicate record for a keyed form)`)
        if (d.table === 0) found.push('no record made')
        if (d.audit > 1) found.push(`${d.audit} audit success rows for one submission`)
        if (d.table >= 1 && d.entries % d.table !== 0) found.push(`half-written: ${d.entries} entries for ${d.table} records`)
        const locations = new Set(ok.map((r) => (r.statusCode === 200 ? `200 ${pageHeading(r.body)}` : String(r.headers.location))))
        if (locations.size > 1) found.push(`the attempts were sent to different places: ${[...locations].join(' / ')}`)
      } else if (spec.kind === 'state') {
        if (d.audit > 1) found.push(`applied ${d.audit} times (${d.audit} audit success rows)`)
        if (d.entries > (spec.entriesPer ?? 1)) found.push(`${d.entries} entries for one ${spec.name} (one makes ${spec.entriesPer ?? 1})`)
        if (d.table > 1) found.push(`${d.table} new ${spec.table} rows for one ${spec.name}`)
        if (d.audit === 1 && d.notifications > 0 && ok.length > 1 && new Set(ok.map((r) => r.headers.location)).size > 1) found.push('the successes were sent to different places')
      } else {
        const per = spec.rowsPer ?? 1
        if (d.audit > 0 && spec.table && d.table !== d.audit * per) found.push(`half-written: ${d.table} ${spec.table} rows for ${d.audit} audited successes (expected ${per} each)`)
        if (d.audit > 0 && d.notifications % d.audit !== 0) found.push(`half-written: ${d.notifications} notifications for ${d.audit} records`)
        if (d.audit > 1) {
          const [r1, r2, r3] = rs
          const raceOnly = r3!.statusCode >= 400 && r3!.statusCode < 500 && r1!.statusCode < 400 && r2!.statusCode < 400
          if (raceOnly) found.push(`the form refuses the same submission sent afterwards (${r3!.statusCode}: ${errorText(r3!.body)}), but the double click made ${d.audit} (${d.table} ${spec.table ?? ''} rows): its rule breaks under the race`)
          else observations.push(`${line}: ${d.audit} records from 3 identical posts (${deltas})`)
        }
      }
      if (d.audit === 0 && d.notifications > 0) found.push('a notification without its record')
      if (found.length) problems.push(`${line}: ${found.join('; ')} — ${deltas}`)
      else covered.push(`${line}: ${statuses}`)
    }

    const ids: Record<string, string> = {}
    const newest = async (table: string, where: [string, unknown][] = []) =>
      q(async (db) => {
        let s = db.selectFrom(table as 'concern').select('id')
        for (const [c, v] of where) s = s.where(c as 'id', '=', v as string)
        return (await s.orderBy('created_at', 'desc').limit(1).executeTakeFirst())?.id
      })
    const totp = async (key: string) => {
      ctx.s.clock.advance(31_000)
      return totpAt(people.find((p) => p.key === key)!.totpSecret, ctx.s.clock.now())
    }

    it('setup: a child in reach of every case role (as in hostile-forms)', { timeout: 300_000 }, async () => {
      const { childId, tacId } = await sweepChild(ctx.s)
      ids.childId = childId
      ids.tacId = tacId
      ids.teamChild = await pupilOf(ctx.s.t.db, 'brookside')
      ids.claimChild = await pupilOf(ctx.s.t.db, 'brookside', 1)
    })

    it('each state-changing form: twice at once, then once more', { timeout: 1_800_000 }, async () => {
      try {
        await sequence()
      } catch (e) {
        uncovered.push(`[${ctx.s.t.engine}] the sequence stopped: ${(e as Error).stack?.split('\n').slice(0, 4).join(' ')}`)
      }
      assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n')}\n\nNot covered:\n${uncovered.join('\n') || 'none'}\n\nObservations:\n${observations.join('\n') || 'none'}`)
    })

    /** The forms, in an order that makes each one's record before the next needs it. */
    const sequence = async () => {
      const childId = ids.childId!
      const tacId = ids.tacId!
      const today = ctx.s.clock.now().toISOString().slice(0, 10)
      const child = await q((db) => db.selectFrom('child').selectAll().where('id', '=', childId).executeTakeFirstOrThrow())

      // — the keyed forms —
      await double({ name: 'raise a concern', who: 'teacher.brookside', url: '/concerns', page: `/concerns/new?child=${childId}`, kind: 'keyed', actions: ['concern.create'], table: 'concern', where: [['child_id', childId]], child: childId, body: { children: childId, category: 'neglect', seenOrHeard: 'Hungry again.', occurredDate: '2026-11-20', immediateDanger: 'no' } })
      const concern = await newest('concern', [['child_id', childId]])
      await double({ name: 'make a referral', who: 'dsl.brookside', url: '/referrals', page: `/referrals/new?child=${childId}`, kind: 'keyed', actions: ['referral.create'], table: 'referral', child: childId, body: { children: [childId], ...(concern ? { concernIds: [concern] } : {}), kind: 'referral', reason: 'Bruising to both upper arms.', levelBelieved: '4', levelReason: 'Physical injury with a disclosure', parentsKnow: 'no', parentsNotToldReason: 'Telling dad could put her at risk', urgency: 'today' } })
      ids.referralId = (await newest('referral'))!
      await double({ name: 'Operation Encompass notice', who: 'police.mash', url: '/encompass', page: '/encompass/new', kind: 'keyed', actions: ['encompass.create'], table: 'encompass_notice', where: [['child_id', childId]], child: childId, body: { children: [childId], incidentDate: '2026-11-20', incidentTime: '21:40', incidentReference: '', summary: 'Police attended a domestic incident at home; the child was present.' } })
      ids.noticeId = (await newest('encompass_notice', [['child_id', childId]]))!
      await double({ name: 'sharing decision', who: 'dsl.brookside', url: `/children/${childId}/sharing-decisions`, page: `/children/${childId}/sharing-decisions/new`, kind: 'keyed', actions: ['sharing.decision.record'], table: 'sharing_decision', where: [['child_id', childId]], child: childId, body: { shared: 'yes', what: 'The concern of 3 November and this term’s attendance', categories: ['safeguarding', 'education'], withAgencyIds: [id('agency:csc')], purpose: 'safeguarding', lawfulBasis: '6.1.e', specialCategory: 'no', consent: 'not_sought', consentReason: 'Telling the family could put the child at risk', goldenRules: ALL_RULES, reasons: 'Neglect concerns over several weeks; the allocated social worker needs the school’s picture' } })

      // — the front door —
      const fdUrl = `/front-door/referrals/${ids.referralId}`
      await double({ name: 'front door: acknowledge', who: 'frontdoor', url: `${fdUrl}/acknowledge`, page: fdUrl, kind: 'state', actions: ['referral.acknowledge'], child: childId, body: {} })
      await double({ name: 'front door: add a check', who: 'frontdoor', url: `${fdUrl}/checks`, page: fdUrl, kind: 'keyed', formKeyed: true, actions: ['referral.check'], table: 'referral_check', child: childId, body: { agency: 'Police', finding: 'Two domestic incidents at the address this year.' } })
      await double({ name: 'front door: decision', who: 'frontdoor', url: `${fdUrl}/decision`, page: fdUrl, kind: 'state', actions: ['referral.decide'], child: childId, body: { decision: 'nfa', levelFound: '2', rationale: 'No further action: the school’s support is enough for now' } })
      const status = async () => (await q((db) => db.selectFrom('referral').select('status').where('id', '=', ids.referralId!).executeTakeFirstOrThrow())).status
      if ((await status()) === 'awaiting_sign_off') await double({ name: 'front door: sign-off', who: 'manager.frontdoor', url: `${fdUrl}/sign-off`, page: fdUrl, kind: 'state', actions: ['referral.sign-off'], child: childId, body: { approve: 'yes', note: '' } })
      else uncovered.push(`[${ctx.s.t.engine}] front door: sign-off: the referral is ${await status()} after the decision, not awaiting sign-off`)
      await double({ name: 'referral challenge', who: 'dsl.brookside', url: `/referrals/${ids.referralId}/challenge`, page: `/referrals/${ids.referralId}`, kind: 'create', actions: ['referral.challenge'], table: 'challenge', child: childId, body: { reason: 'We think a joint visit with police is needed today, not tomorrow.' } })
      await double({ name: 'challenge answer', who: 'manager.frontdoor', url: `${fdUrl}/challenge-answer`, page: fdUrl, kind: 'state', actions: ['referral.challenge-answer'], child: childId, body: { upheld: 'no', response: 'The strategy discussion is at 14:00 today; police are attending.' } })

      // — Operation Encompass, consultations, missing —
      await double({ name: 'Encompass acknowledge', who: 'dsl.brookside', url: `/encompass/${ids.noticeId}/acknowledge`, page: `/encompass/${ids.noticeId}`, kind: 'state', actions: ['encompass.acknowledge'], child: childId, body: { response: 'Class teacher briefed; key adult at the gate.' } })
      await double({ name: 'consultation: ask', who: 'dsl.brookside', url: '/consultations', page: `/consultations/new?child=${childId}`, kind: 'keyed', formKeyed: true, actions: ['consultation.ask'], table: 'consultation', child: childId, body: { childId, question: 'Early help, or keep supporting in school?' } })
      const consultation = await newest('consultation')
      if (consultation) await double({ name: 'consultation: answer', who: 'ssw', url: `/consultations/${consultation}/answer`, page: `/consultations/${consultation}`, kind: 'state', actions: ['consultation.answer'], child: childId, body: { advice: 'Offer early help; I will join the first meeting.', nextStep: 'DSL to speak to mum this week', followUpOn: '2026-12-07' } })
      await double({ name: 'missing: report', who: 'police.mash', url: `/children/${childId}/missing`, page: `/children/${childId}/missing`, kind: 'keyed', formKeyed: true, actions: ['missing.report'], table: 'missing_episode', where: [['child_id', childId]], child: childId, body: { missingDate: today, missingTime: '07:00', risk: 'medium', circumstances: 'Did not return home.' } })
      const episode = await newest('missing_episode', [['child_id', childId]])
      if (episode) {
        await double({ name: 'missing: found', who: 'police.mash', url: `/children/${childId}/missing/${episode}/found`, page: `/children/${childId}/missing/${episode}`, kind: 'state', actions: ['missing.found'], child: childId, body: { foundDate: today, foundTime: '09:00', whereFound: 'At a friend’s house in town' } })
        await double({ name: 'missing: return home interview', who: 'sw.north', url: `/children/${childId}/missing/${episode}/rhi`, page: `/children/${childId}/missing/${episode}`, kind: 'state', actions: ['missing.rhi'], child: childId, body: { offeredDate: today, offeredTime: '09:30', by: 'Safe Futures (commissioned RHI service)', independent: 'yes', accepted: 'yes', childSaid: 'I was with friends from the park.' } })
      } else uncovered.push(`[${ctx.s.t.engine}] missing: found / return home interview: no episode was made`)

      // — a team around another child: start, invite, join, leave —
      const teamChild = ids.teamChild!
      await double({ name: 'TAC: start a team', who: 'dsl.brookside', url: `/children/${teamChild}/teams`, page: `/children/${teamChild}/teams`, kind: 'create', actions: ['tac.start'], table: 'tac_child', where: [['child_id', teamChild]], child: teamChild, body: { level: 'early_help', leadMembershipId: membershipOf('dsl.brookside'), leadRole: 'Lead practitioner (DSL)', reason: 'Attendance falling and mum asking for help with routines' } })
      const newTac = (await q((db) => db.selectFrom('tac_child').select('tac_id').where('child_id', '=', teamChild).executeTakeFirst()))?.tac_id
      if (newTac) {
        await double({ name: 'TAC: invite a member', who: 'dsl.brookside', url: `/teams/${newTac}/members`, page: `/teams/${newTac}`, kind: 'create', actions: ['tac.invite'], table: 'tac_member', where: [['tac_id', newTac]], child: teamChild, body: { membershipId: membershipOf('nurse'), teamRole: 'School nurse', duties: 'Health review; sleep and diet advice' } })
        await double({ name: 'TAC: join (invitation)', who: 'nurse', url: `/teams/${newTac}/invitation`, page: `/teams/${newTac}/invitation`, kind: 'state', actions: ['tac.respond'], child: teamChild, body: { answer: 'join' } })
        await double({ name: 'TAC: leave', who: 'nurse', url: `/teams/${newTac}/leave`, page: `/teams/${newTac}`, kind: 'state', actions: ['tac.leave'], child: teamChild, body: { leaveReason: 'Health review complete' }, goneAfter: true })
      } else uncovered.push(`[${ctx.s.t.engine}] TAC invite/join/leave: no team was started`)

      // — the plan, visits —
      await double({ name: 'plan: add an outcome', who: 'sw.north', url: `/teams/${tacId}/plan/outcomes`, page: `/teams/${tacId}/plan`, kind: 'keyed', formKeyed: true, actions: ['plan.outcome'], table: 'plan_outcome', where: [['tac_id', tacId]], child: childId, body: { body: `${child.given_name} goes to school every day`, measure: 'scale' } })
      const outcome = await q((db) => db.selectFrom('plan_outcome').select('id').where('tac_id', '=', tacId).executeTakeFirst())
      if (outcome) await double({ name: 'plan: add an action', who: 'sw.north', url: `/teams/${tacId}/plan/outcomes/${outcome.id}/actions`, page: `/teams/${tacId}/plan`, kind: 'keyed', formKeyed: true, actions: ['plan.action'], table: 'plan_action', child: childId, body: { what: 'Attend parenting course', owner: 'other', ownerName: 'Mum', ownerAgency: 'Mum', dueOn: '2026-12-01', place: 'Children’s centre', cost: '12.50' } })
      await double({ name: 'visit: record', who: 'sw.north', url: `/children/${childId}/visits`, page: `/children/${childId}/visits`, kind: 'keyed', formKeyed: true, actions: ['visit.record'], table: 'visit', child: childId, body: { visitedDate: today, visitedTime: '09:00', childSeen: 'yes', seenAlone: 'yes', childWords: 'Fine', observations: 'Tidy home' } })

      // — a risk signal (made as in src/modules/signals/signals.test.ts: two strands in the record, then the job) —
      {
        const system = systemRepository({ db: ctx.s.t.db, clock: ctx.s.clock }, 'double-submit-test')
        await system.evaluateSignals()
        const mk = (type: string, category: string, agency: string, day: string) => ({ id: randomUUID(), partnership_id: P, child_id: childId, type, category, occurred_at: new Date(`${day}T12:00:00Z`), recorded_at: ctx.s.clock.now(), author_membership_id: null, author_team_id: null, source_agency_id: id(`agency:${agency}`), significance: 'high' as const, summary: `${type} test`, visibility: 'team' as const, addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
        ctx.s.clock.advance(60_000)
        await q((db) => db.insertInto('entry').values([mk('notice', 'domestic_abuse', 'police', '2026-11-10'), mk('health_attendance', 'physical_abuse', 'health', '2026-11-18')]).execute())
        ctx.s.clock.advance(60_000)
        await system.evaluateSignals()
        const signal = await q((db) => db.selectFrom('risk_signal').select(['id', 'routed_to']).where('child_id', '=', childId).where('acknowledged_at', 'is', null).execute())
        const mine = signal.find((s) => s.routed_to.includes(membershipOf('sw.north')))
        if (mine) await double({ name: 'signal: acknowledge', who: 'sw.north', url: `/signals/${mine.id}/acknowledge`, page: `/signals/${mine.id}`, kind: 'state', actions: ['signal.acknowledge'], child: childId, body: { response: 'Joint visit with police booked for Wednesday.' } })
        else uncovered.push(`[${ctx.s.t.engine}] signal acknowledge: no unacknowledged signal routed to sw.north for the child`)
      }

      // — information requests —
      await double({ name: 'information request: ask', who: 'frontdoor', url: `/children/${childId}/information-requests`, page: `/children/${childId}/information-requests`, kind: 'create', actions: ['request.ask'], table: 'information_request', where: [['child_id', childId]], child: childId, body: { agencies: [id('agency:police')], question: 'What do you know about the household in the last 12 months?', urgency: 'standard' } })
      const request = await q((db) => db.selectFrom('information_request').select('id').where('child_id', '=', childId).where('status', '=', 'open').where('to_agency_id', '=', id('agency:police')).orderBy('created_at', 'desc').executeTakeFirst()).catch(() => undefined)
      if (request) await double({ name: 'information request: answer', who: 'police.mash', url: `/information-requests/${request.id}/answer`, page: `/information-requests/${request.id}`, kind: 'state', actions: ['request.answer'], entriesPer: 2, child: childId, body: { action: 'answer', entryCount: '1', response: 'share', e1Summary: 'Domestic incident at the address: police attended, no arrests; children present.', e1OccurredOn: '2026-08-14', e1Significance: 'high', e1Visibility: 'team', purpose: 'request_answer', categories: 'police', lawfulBasis: '6.1.e', specialCategory: 'no', consent: 'not_sought', consentReason: 'Asking the parents first could put the child at risk', goldenRules: ALL_RULES, reasons: 'The front door needs what we hold to decide its response', outsideAgreementReason: 'The agreement is still being drafted; the front door needs this today' } })
      else uncovered.push(`[${ctx.s.t.engine}] information request answer: no open request to the police was made`)

      // — access: break-glass and self-claim (sw.south; the same TOTP code in all three posts, as a resend would) —
      const claimChild = await q((db) => db.selectFrom('child').selectAll().where('id', '=', ids.claimChild!).executeTakeFirstOrThrow())
      {
        const sw = await agent('sw.south')
        await sw.get('/access/emergency')
        const code = await totp('sw.south')
        await double({ name: 'break-glass', who: 'sw.south', url: '/access/emergency', kind: 'create', actions: ['access.break-glass'], table: 'relationship', where: [['child_id', childId], ['type', 'break_glass'], ['holder_membership_id', membershipOf('sw.south')]], child: childId, body: { nhsNumber: child.nhs_number ?? '', reason: 'Child presented at hospital with injuries, out of hours', code } })
        await sw.get('/access/claim')
        const code2 = await totp('sw.south')
        await double({ name: 'self-claim', who: 'sw.south', url: '/access/claim', kind: 'create', actions: ['access.self-claim'], table: 'relationship', where: [['child_id', claimChild.id], ['type', 'self_claimed'], ['holder_membership_id', membershipOf('sw.south')]], child: claimChild.id, body: { nhsNumber: claimChild.nhs_number ?? '', reason: 'Duty worker for the family', code: code2 } })
      }

      // — file transfer, approvals (a seal request), legal hold —
      await double({ name: 'file transfer: start', who: 'dsl.brookside', url: `/children/${childId}/file-transfer`, page: `/children/${childId}/file-transfer`, kind: 'create', actions: ['transfer.start'], table: 'file_transfer', child: childId, body: { destination: 'partnership', toAgencyId: id('agency:academy'), leftOn: '2026-11-20', lawfulBasis: '6.1.e', checked: 'yes', note: 'Moved to secondary' } })
      // the seal request is the authoring team's: an entry the DSL's team recorded (the referral above made one)
      const dslTeam = (await q((db) => db.selectFrom('membership').select('team_id').where('id', '=', membershipOf('dsl.brookside')).executeTakeFirstOrThrow())).team_id
      const entry = dslTeam ? await q((db) => db.selectFrom('entry').select('id').where('child_id', '=', childId).where('author_team_id', '=', dslTeam).where('visibility', '!=', 'sealed').orderBy('recorded_at', 'desc').executeTakeFirst()) : undefined
      if (entry) {
        await double({ name: 'seal request (approval)', who: 'dsl.brookside', url: `/entries/${entry.id}/seal`, page: `/entries/${entry.id}`, kind: 'create', actions: ['entry.seal.request'], table: 'approval_request', child: childId, body: { reason: 'Allegation against a relative who works in a partner agency' } })
        const approval = await q((db) => db.selectFrom('approval_request').select('id').orderBy('requested_at', 'desc').executeTakeFirst())
        if (approval) {
          const head = await agent('head.brookside')
          const page = await head.get(`/approvals/${approval.id}`)
          const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)?.[1] ?? '1'
          await double({ name: 'approvals: decide', who: 'head.brookside', url: `/approvals/${approval.id}/decide`, kind: 'state', actions: ['approval.approve', 'approval.refuse'], child: childId, body: { decision: 'approve', reason: '', rowVersion } })
        }
      } else uncovered.push(`[${ctx.s.t.engine}] approvals: no Brookside entry to ask to seal`)
      await double({ name: 'legal hold', who: 'ig', url: `/retention/children/${childId}/hold`, page: `/retention/children/${childId}`, kind: 'create', actions: ['retention.hold.place'], table: 'legal_hold', child: childId, body: { reason: 'Litigation' } })

      // — the other creates whose forms carry the page's key: the exploitation page, a dispute, a subject access
      // request, a bulk export — each must be made once, and must be made (not every attempt refused) —
      const made = (rs: Res[] | null, what: string) => assert.ok(rs?.some((r) => r.statusCode === 303), `${what}: no attempt succeeded (${rs?.map((r) => r.statusCode).join(', ')})`)
      const scores = Object.fromEntries(['missing', 'gifts_money', 'older_associates', 'substances', 'sexual_health', 'school', 'weapons', 'travel', 'phones', 'self_harm', 'offending', 'behaviour', 'online', 'gangs', 'injuries'].map((k) => [`score_${k}`, k === 'missing' ? '2' : '0']))
      const exploitation = `/children/${childId}/exploitation`
      made(await double({ name: 'exploitation: screening', who: 'dsl.brookside', url: `${exploitation}/screenings`, page: exploitation, kind: 'keyed', formKeyed: true, actions: ['exploitation.screen'], table: 'exploitation_screening', where: [['child_id', childId]], child: childId, body: { rulesVersion: '1', ...scores, notes: 'Late home twice this week' } }), 'screening')
      made(await double({ name: 'exploitation: link', who: 'dsl.brookside', url: `${exploitation}/links`, page: exploitation, kind: 'keyed', formKeyed: true, actions: ['exploitation.link'], table: 'exploitation_link', where: [['child_id', childId]], child: childId, body: { kind: 'place', label: 'The underpass by the station', linkNotes: 'Seen there after school' } }), 'link')
      if (entry) made(await double({ name: 'dispute', who: 'dsl.brookside', url: `/entries/${entry.id}/disputes`, page: `/entries/${entry.id}/disputes`, kind: 'keyed', formKeyed: true, actions: ['entry.dispute.record'], table: 'entry_dispute', where: [['entry_id', entry.id]], child: childId, body: { kind: 'dispute', raisedByName: 'Dad', raisedByRelationship: 'parent', statement: 'Dad says the time is wrong' } }), 'dispute')
      made(await double({ name: 'subject access request', who: 'ig', url: '/subject-access', page: '/subject-access/new', kind: 'keyed', formKeyed: true, actions: ['sar.log'], table: 'subject_access_request', child: childId, body: { givenName: child.given_name, familyName: child.family_name, dateOfBirth: String(child.date_of_birth ?? ''), requesterRelationship: 'parent', requesterName: 'A parent', identityVerified: 'Passport seen', receivedOn: '2026-11-21' } }), 'subject access request')
      made(await double({ name: 'bulk export', who: 'ig', url: '/exports', page: '/exports/new', kind: 'keyed', formKeyed: true, actions: ['export.request'], table: 'bulk_export', child: childId, body: { children: childId, includeConcerns: 'no', purpose: 'court', lawfulBasis: '6.1.c', reason: 'Court order for the family proceedings' } }), 'bulk export')

      // — meetings last (the clock moves on for "held") —
      await double({ name: 'meeting: arrange', who: 'sw.north', url: `/teams/${tacId}/meetings`, page: `/teams/${tacId}/meetings/new`, kind: 'keyed', formKeyed: true, actions: ['meeting.schedule'], table: 'meeting', where: [['tac_id', tacId]], child: childId, body: { kind: 'team', date: '2026-11-24', time: '10:00', mode: 'in_person', place: 'School', agenda: 'Review', chair: membershipOf('sw.north') } })
      const meeting = await newest('meeting', [['tac_id', tacId]])
      if (meeting) {
        const url = `/teams/${tacId}/meetings/${meeting}`
        ctx.s.clock.advance(2 * 24 * 3600_000)
        forget('sw.north') // two days on, the session has timed out: sign in again
        const sw = await agent('sw.north')
        const page = await sw.get(url)
        const att = [...new Set([...page.body.matchAll(/name="(att-[^"]+)"/g)].map((m) => m[1]!))]
        if (att.length) await sw.post(`${url}/attendance`, Object.fromEntries(att.map((a) => [a, 'present'])))
        const heldDay = ctx.s.clock.now().toISOString().slice(0, 10)
        await double({ name: 'meeting: held', who: 'sw.north', url: `${url}/held`, page: url, kind: 'state', actions: ['meeting.held'], child: childId, body: { heldDate: heldDay, heldTime: '10:00' } })
        const rowVersion = /name="rowVersion" value="(\d+)"/.exec((await sw.get(url)).body)?.[1]
        const v = rowVersion ?? String((await q((db) => db.selectFrom('meeting').select('row_version' as 'id').where('id', '=', meeting).executeTakeFirst()))?.id ?? '1')
        await double({ name: 'meeting: minutes', who: 'sw.north', url: `${url}/minutes`, page: url, kind: 'state', actions: ['meeting.minutes'], child: childId, body: { minutes: 'Attendance is improving; review in six weeks.', rowVersion: v } })
      } else uncovered.push(`[${ctx.s.t.engine}] meeting held/minutes: no meeting was arranged`)

    }

    it('report: what was covered, observations and what was not covered', (t) => {
      for (const c of covered) t.diagnostic(`covered ${c}`)
      for (const o of observations) t.diagnostic(`observation ${o}`)
      for (const u of uncovered) t.diagnostic(`not covered ${u}`)
      for (const p of problems) t.diagnostic(`PROBLEM ${p}`)
    })
  },
)


function pageHeading(body: string): string {
  return (/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
}
