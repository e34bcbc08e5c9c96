// The records the sweeps of test/reliability (hostile forms, hostile queries) work on, made through the pages as
// practitioners make them: a child in reach of every role the sweeps act as, and a record of each kind, with the ids
// of the newest row of each kind (named as the routes' parameters are). Steps that are refused are noted, not fatal:
// the sweeps assert how many routes they reached with real ids.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { demoPractitioners } from '../../src/data/seed.ts'
import { stableUuid } from '../../src/data/ids.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'
import type { TestApp } from './app.ts'
import type { Agent } from './agent.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)
const membershipOf = (key: string, i = 0) => id(`membership:${key}:${i}`)

/**
 * The child the sweeps work on: a Brookside pupil open to children's social care — allocated to sw.north, with a team
 * around the child where the Brookside DSL is a member — preferring one the police also hold a record of (the demo
 * generator gives health and police records together).
 */
export async function sweepChild(s: TestApp): Promise<{ childId: string; tacId: string }> {
  const q = <T>(fn: (db: typeof s.t.db) => Promise<T>) => s.t.privileged(fn)
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
  for (const p of pupils) {
    const police = await q((db) => db.selectFrom('relationship').select('id').where('child_id', '=', p.child_id).where('holder_agency_id', '=', id('agency:police')).executeTakeFirst())
    if (police) return { childId: p.child_id, tacId: p.tac_id }
  }
  return { childId: pupils[0]!.child_id, tacId: pupils[0]!.tac_id }
}

/**
 * A signed-in agent per demo practitioner, signed in once (`prepare` runs on each new one, e.g. to take its API token).
 * Takes the suite's context, whose app is there only once the suite's setup has run.
 */
export function signedInAgents(ctx: { s: TestApp }, prepare?: (a: Agent, key: string) => Promise<void>) {
  const agents = new Map<string, Agent>()
  return {
    async agent(key: string): Promise<Agent> {
      let a = agents.get(key)
      if (!a) {
        a = await ctx.s.signIn(key)
        await prepare?.(a, key)
        agents.set(key, a)
      }
      return a
    },
    /** Forgets a practitioner's agent (it was signed out): the next call signs in again. */
    forget: (key: string) => agents.delete(key),
  }
}

/** Makes the records; fills `ids` (route parameter → id) and `setupNotes` (the steps that were refused). */
export async function recordsThroughPages(s: TestApp, agent: (key: string) => Promise<Agent>, ids: Record<string, string>, setupNotes: string[]): Promise<void> {
  const ctx = { s }
  const people = demoPractitioners()
  const q = <T>(fn: (db: typeof s.t.db) => Promise<T>) => s.t.privileged(fn)
  const { childId, tacId } = await sweepChild(s)
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
    return admin.post('/records/import', { kind: 'records', csv: 'source_ref,given_name,family_name,date_of_birth,sex\nHS-1,Hostile,Sweep,2015-01-01,female\n', fileName: 'hs.csv' })
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
    ['signalId', 'risk_signal', 'id', ['child_id', childId]],
    ['practitionerId', 'practitioner', 'id', ['id', id('practitioner:sw2.north')]],
    ['membershipId', 'membership', 'id', ['id', membershipOf('sw2.north')]],
    ['dateId', 'bank_holiday', 'on_date'],
    ['termId', 'school_term', 'id', ['school_agency_id', id('agency:brookside')]],
    ['closureId', 'school_closure', 'id', ['school_agency_id', id('agency:brookside')]],
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
    ['decisionId', 'sharing_decision', 'id', ['child_id', childId]],
  ]
  for (const [param, table, col, where] of want) {
    if (ids[param]) continue
    let v = await newest(table, col ?? 'id', where)
    if (v === undefined && where) v = await newest(table, col ?? 'id')
    if (v !== undefined) ids[param] = v
  }
  // a date id of the settings page is written as a day
  if (ids.dateId && !/^\d{4}-\d{2}-\d{2}$/.test(ids.dateId)) ids.dateId = new Date(ids.dateId).toISOString().slice(0, 10)
  // the queries' own: a version number, and the export of a file transfer (its own table, not a bulk export)
  ids.version = '1'
  if (ids.transferId) {
    const fx = await q((db) => db.selectFrom('file_transfer_export').select(['id', 'transfer_id']).orderBy('created_at', 'desc').executeTakeFirst())
    if (fx) {
      ids.transferExportId = fx.id
      ids.transferOfExportId = fx.transfer_id
    }
  }
}

/** The visible error text of a page: the error summary's items, else the heading and first paragraph. */
export function errorText(body: string): string {
  const summary = /<div class="govuk-error-summary[\s\S]*?<\/div>\s*<\/div>/.exec(body)?.[0]
  const text = (summary ?? /<h1[\s\S]*?<\/p>/.exec(body)?.[0] ?? body).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
  return text.slice(0, 200)
}
