// Retention covers every record of a child: every table holding a child's data is either anonymised by a record type
// (targets.ts) or kept for a stated reason, and a run over the whole demo partnership (every type due) leaves no
// narrative behind in any of them — except for a child on legal hold, the teams that child is in, and sealed entries.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { startTestApp, type TestApp } from '../../../test/support/app.ts'
import { testEngines } from '../../../test/support/db.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import type { DB } from '../../data/schema.ts'
import { systemRepository } from '../../data/system.ts'
import { RETENTION_SETTING_KEY, RETENTION_TYPES } from './rules.ts'
import { IDENTITY_PARTS, TARGETS } from './targets.ts'

/** Tables with a child's or a team's rows that retention leaves as they are, and why. */
const KEPT: Record<string, string> = {
  audit_event: 'the audit is kept at least as long as the records (R17); it holds no narrative',
  audit_seal: 'the audit chain checkpoint',
  retention_action: 'the record of what retention did',
  legal_hold: 'the hold and its reason are governance records',
  relationship: 'who had access and why: read by the access reports, kept with the audit',
  access_review: 'break-glass reviews: governance records, kept with the audit',
  entry_visibility_change: 'who widened or sealed what and why: kept with the audit',
  link_decision: 'record-linkage decisions: kept with the audit',
  not_same_child: 'a record-linkage decision: kept with the audit',
  notification: 'no narrative: a kind and a link',
  idempotency_key: 'an API answer kept 24 hours for its key (with the children its request named), then deleted (purgeExpiredIdempotencyKeys)',
  tac_child: 'which children a team is for (ids only)',
  tac: 'the team itself: level and dates, no narrative',
  file_transfer_item: 'ids only',
  concern_link: 'ids only',
  review_score: 'scores only',
  review_action: 'statuses only',
  child_name: 'deleted with the identity',
  child_address: 'deleted with the identity',
  family_member: 'deleted with the identity',
  child: 'anonymised with the identity',
  subject_access_release: 'append-only: the record of a two-person release (item titles, a hash)',
  subject_access_export: 'append-only: the record of an export (format, who, when)',
  signal_watermark: 'the risk-signal job’s position',
  signal_recheck: 'ids only, cleared by the next signal evaluation',
  bulk_export: 'the record of a two-person bulk export (ids and counts, no content)',
}

/**
 * One synthetic row in every table retention covers that the demo data leaves empty, for a child and a team of theirs
 * (raw inserts: the point is the tables, not the flows that fill them, which have their own tests).
 */
async function seedEveryType(db: Kysely<DB>, child: string, tac: string): Promise<void> {
  const m = membershipOf('sw.north')
  const agency = stableUuid('northshire:agency:csc')
  const team = stableUuid('northshire:team:csc:north')
  const at = new Date('2020-01-01T10:00:00Z')
  const id = () => randomUUID()
  const say = (what: string) => `Synthetic ${what} about the child.`
  const entry = (await db.selectFrom('entry').select('id').where('child_id', '=', child).where('visibility', '<>', 'sealed').executeTakeFirstOrThrow()).id
  const sharing = (await db.selectFrom('sharing_decision').select('id').executeTakeFirstOrThrow()).id
  const kind = await db.selectFrom('meeting').select(['kind', 'mode']).executeTakeFirstOrThrow()
  const [concern, referral, assessment, meeting, outcome, request, transfer] = [id(), id(), id(), id(), id(), id(), id()]
  const run = (q: ReturnType<typeof sql>) => q.execute(db)
  await run(sql`insert into concern (id, partnership_id, submission_id, child_id, agency_id, raised_by_membership_id, category, seen_or_heard, child_words, location, other_children, occurred_at, created_at)
    values (${concern}, ${P}, ${id()}, ${child}, ${agency}, ${m}, 'neglect', ${say('concern')}, ${say('words')}, ${say('place')}, ${say('sibling')}, ${at}, ${at})`)
  await run(sql`insert into triage_action (id, partnership_id, concern_id, child_id, by_membership_id, actions, outcome, reasons, created_at) values (${id()}, ${P}, ${concern}, ${child}, ${m}, '{}', 'monitor', ${say('triage')}, ${at})`)
  await run(sql`insert into referral (id, partnership_id, submission_id, child_id, kind, source, recorded_by_membership_id, referrer_name, reason, level_reason, urgency, queue_team_id, received_at, created_at)
    values (${referral}, ${P}, ${id()}, ${child}, 'referral', 'school', ${m}, ${say('referrer')}, ${say('referral')}, ${say('level')}, 'routine', ${team}, ${at}, ${at})`)
  await run(sql`insert into referral_check (id, partnership_id, referral_id, agency, finding, by_membership_id, created_at) values (${id()}, ${P}, ${referral}, 'police', ${say('finding')}, ${m}, ${at})`)
  await run(sql`insert into challenge (id, partnership_id, referral_id, raised_by_membership_id, reason, created_at) values (${id()}, ${P}, ${referral}, ${m}, ${say('challenge')}, ${at})`)
  await run(sql`insert into consultation (id, partnership_id, child_id, school_agency_id, asked_by_membership_id, question, advice, created_at) values (${id()}, ${P}, ${child}, ${agency}, ${m}, ${say('question')}, ${say('advice')}, ${at})`)
  await run(sql`insert into assessment (id, partnership_id, tac_id, child_id, kind, started_at, author_membership_id, child_views, analysis, created_at) values (${assessment}, ${P}, ${tac}, ${child}, 'early_help', ${at}, ${m}, ${say('views')}, ${say('analysis')}, ${at})`)
  await run(sql`insert into assessment_domain (id, partnership_id, assessment_id, domain, strengths, needs) values (${id()}, ${P}, ${assessment}, 'health', ${say('strengths')}, ${say('needs')})`)
  await run(sql`insert into assessment_contribution (id, partnership_id, assessment_id, membership_id, agency_id, body, contributed_at) values (${id()}, ${P}, ${assessment}, ${m}, ${agency}, ${say('contribution')}, ${at})`)
  await run(sql`insert into plan_outcome (id, partnership_id, tac_id, child_id, body, measure, created_at) values (${outcome}, ${P}, ${tac}, ${child}, ${say('outcome')}, 'scale', ${at})`)
  await run(sql`insert into plan_action (id, partnership_id, tac_id, outcome_id, what, owner_name, owner_agency, due_on, place, created_at) values (${id()}, ${P}, ${tac}, ${outcome}, ${say('action')}, 'Synthetic Owner', 'School', '2020-02-01', ${say('place')}, ${at})`)
  await run(sql`insert into plan_version (id, partnership_id, tac_id, version, snapshot, change_summary, changed_by, changed_at) values (${id()}, ${P}, ${tac}, 900, ${JSON.stringify({ outcomes: [{ body: say('outcome') }] })}::jsonb, ${say('change')}, ${m}, ${at})`)
  await run(sql`insert into tac_member (id, partnership_id, tac_id, membership_id, team_role, duties, status, invited_at, left_at, left_reason) values (${id()}, ${P}, ${tac}, ${m}, 'Synthetic role', ${say('duties')}, 'left', ${at}, ${at}, ${say('leaving')})`)
  await run(sql`insert into tac_family_member (id, partnership_id, tac_id, name, relationship, views, recorded_by, recorded_at) values (${id()}, ${P}, ${tac}, 'Synthetic Parent', 'mother', ${say('views')}, ${m}, ${at})`)
  await run(sql`insert into meeting (id, partnership_id, tac_id, kind, title, scheduled_at, mode, chair_membership_id, agenda, created_by, created_at) values (${meeting}, ${P}, ${tac}, ${kind.kind}, ${say('meeting')}, ${at}, ${kind.mode}, ${m}, ${say('agenda')}, ${m}, ${at})`)
  await run(sql`insert into meeting_decision (id, partnership_id, meeting_id, body, recorded_by, recorded_at) values (${id()}, ${P}, ${meeting}, ${say('decision')}, ${m}, ${at})`)
  await run(sql`insert into meeting_invitee (id, partnership_id, meeting_id, name) values (${id()}, ${P}, ${meeting}, 'Synthetic Grandparent')`)
  await run(sql`insert into review (id, partnership_id, tac_id, held_on, plan_version, child_view, summary, recorded_by, recorded_at) values (${id()}, ${P}, ${tac}, '2020-03-01', 1, ${say('view')}, ${say('review')}, ${m}, ${at})`)
  await run(sql`insert into cp_enquiry (id, partnership_id, tac_id, child_id, strategy_meeting_id, strategy_held_at, start_s47, decision_reason, recorded_by, created_at) values (${id()}, ${P}, ${tac}, ${child}, ${meeting}, ${at}, true, ${say('s47')}, ${m}, ${at})`)
  await run(sql`insert into visit (id, partnership_id, child_id, kind, status, by_membership_id, purpose, observations, created_at) values (${id()}, ${P}, ${child}, 'statutory', 'done', ${m}, ${say('purpose')}, ${say('observations')}, ${at})`)
  await run(sql`insert into oversight_note (id, partnership_id, child_id, kind, by_membership_id, at, note) values (${id()}, ${P}, ${child}, 'oversight', ${m}, ${at}, ${say('oversight')})`)
  await run(sql`insert into missing_episode (id, partnership_id, child_id, reported_by_membership_id, missing_from, risk, circumstances, where_found, created_at) values (${id()}, ${P}, ${child}, ${m}, ${at}, 'low', ${say('missing')}, ${say('found')}, ${at})`)
  await run(sql`insert into exploitation_screening (id, partnership_id, child_id, by_membership_id, at, scores, total, level, rules_version, notes) values (${id()}, ${P}, ${child}, ${m}, ${at}, '{}', 0, 'low', 1, ${say('screening')})`)
  await run(sql`insert into exploitation_link (id, partnership_id, child_id, kind, label, notes, created_by, created_at) values (${id()}, ${P}, ${child}, 'place', ${say('link')}, ${say('notes')}, ${m}, ${at})`)
  await run(sql`insert into mace_referral (id, partnership_id, child_id, referred_by, referred_at, reason, created_at) values (${id()}, ${P}, ${child}, ${m}, ${at}, ${say('mace')}, ${at})`)
  await run(sql`insert into encompass_notice (id, partnership_id, submission_id, child_id, school_agency_id, recorded_by_membership_id, incident_at, summary, due_at, created_at) values (${id()}, ${P}, ${id()}, ${child}, ${agency}, ${m}, ${at}, ${say('notice')}, ${at}, ${at})`)
  await run(sql`insert into risk_signal (id, partnership_id, child_id, rule_code, rule_version, fingerprint, entry_ids, fired_at, response) values (${id()}, ${P}, ${child}, 'synthetic', 1, ${id()}, '{}', ${at}, ${say('response')})`)
  await run(sql`insert into subject_access_request (partnership_id, id, agency_id, child_id, requester_relationship, requester_name, identity_verified, received_on, due_at, logged_by, logged_at) values (${P}, ${request}, ${agency}, ${child}, 'parent', 'Synthetic Parent', ${say('identity check')}, '2020-01-01', ${at}, ${m}, ${at})`)
  await run(sql`insert into subject_access_item (partnership_id, id, request_id, source_type, source_id, title, content, proposed_text) values (${P}, ${id()}, ${request}, 'entry', ${entry}, 'Entry', ${say('content')}, ${say('proposed')})`)
  await run(sql`insert into entry_dispute (partnership_id, id, entry_id, child_id, kind, raised_by_name, raised_by_relationship, statement, recorded_by, recorded_at) values (${P}, ${id()}, ${entry}, ${child}, 'dispute', 'Synthetic Parent', 'parent', ${say('dispute')}, ${m}, ${at})`)
  await run(sql`insert into file_transfer (id, partnership_id, child_id, from_agency_id, destination, to_school_name, to_school_contact, note, left_on, clock_starts_on, new_term, due_at, started_by, started_at, sharing_decision_id, created_at)
    values (${transfer}, ${P}, ${child}, ${agency}, 'outside', 'Synthetic School', ${say('contact')}, ${say('note')}, '2020-01-01', '2020-01-02', false, ${at}, ${m}, ${at}, ${sharing}, ${at})`)
  await run(sql`insert into file_transfer_export (id, partnership_id, transfer_id, created_by, created_at, file_name, ciphertext, sha256) values (${id()}, ${P}, ${transfer}, ${m}, ${at}, 'file.enc', ${Buffer.from('synthetic ciphertext')}, 'x')`)
  await run(sql`insert into clock (id, partnership_id, rule, child_id, subject_type, subject_id, started_at, due_at, met_at, state, reason, created_at)
    values (${id()}, ${P}, 'R3', ${child}, 'referral', ${referral}, ${at}, ${at}, ${at}, 'met_late', ${say('late reason')}, ${at})`)
  await run(sql`insert into agency_record (id, partnership_id, agency_id, source_ref, given_name, family_name, date_of_birth, sex, child_id, match_state, created_at, updated_at, nhs_number, postcode)
    values (${id()}, ${P}, ${agency}, ${id()}, 'Synthetic', 'Recordname', '2010-01-01', 'female', ${child}, 'matched', ${at}, ${at}, null, 'NS1 1AA')`)
}

const covered = (): Set<string> => new Set([...TARGETS.flatMap((t) => t.parts.map((p) => p.table)), ...IDENTITY_PARTS.map((p) => p.table)])

for (const engine of testEngines()) {
  describe(`retention covers every record of a child [${engine}]`, () => {
    const ctx = {} as { s: TestApp }
    before(async () => {
      ctx.s = await startTestApp(engine, { children: 40 })
    })
    after(async () => {
      await ctx.s?.close()
    })
    const db = () => ctx.s.t.db
    const job = () => systemRepository({ db: db(), clock: ctx.s.clock }, 'retention-coverage').runRetention()

    it('every table with a child’s or a team’s rows is anonymised by a record type or kept for a stated reason', async () => {
      const rows = await sql<{ table_name: string }>`
        select distinct table_name from information_schema.columns
        where table_schema = current_schema() and column_name in ('child_id', 'tac_id', 'referral_id', 'concern_id', 'assessment_id', 'meeting_id', 'request_id', 'transfer_id')`.execute(db())
      const mine = covered()
      const missing = rows.rows.map((r) => r.table_name).filter((t) => !mine.has(t) && !(t in KEPT))
      assert.deepEqual(missing, [], 'a table holding a child’s data that retention neither anonymises nor keeps for a reason')
      for (const t of RETENTION_TYPES) if (t.code !== 'identity') assert.ok(TARGETS.some((x) => x.code === t.code), `${t.code} has a target`)
    })

    let held: string
    let heldTeams: string[]
    let fullTac: string
    let sealed: string
    let sealedSummary: string
    let sealedConcern: string
    const before_: Record<string, number> = {}
    it('setup: every type due (one year), one child on hold, one sealed entry', async () => {
      await db()
        .insertInto('partnership_setting')
        .values({ partnership_id: P, key: RETENTION_SETTING_KEY, value: JSON.stringify(Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, 1]))), updated_at: new Date(), updated_by: membershipOf('ig') })
        .onConflict((oc) => oc.columns(['partnership_id', 'key']).doUpdateSet({ value: JSON.stringify(Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, 1]))) }))
        .execute()
      // the child with the most teams goes on hold: their records and their teams' records must stay
      const t = await db().selectFrom('tac_child').select(['child_id']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('child_id').orderBy('n', 'desc').orderBy('child_id').executeTakeFirstOrThrow()
      held = t.child_id
      heldTeams = (await db().selectFrom('tac_child').select('tac_id').where('child_id', '=', held).execute()).map((r) => r.tac_id)
      await db().insertInto('legal_hold').values({ id: randomUUID(), partnership_id: P, child_id: held, reason: 'Synthetic: proceedings', placed_by: membershipOf('ig'), placed_at: new Date() }).execute()
      const e = await db().selectFrom('entry').select(['id', 'summary', 'child_id', 'source_agency_id', 'author_team_id', 'author_membership_id']).where('child_id', '<>', held).where('visibility', '=', 'team').orderBy('id').executeTakeFirstOrThrow()
      sealed = randomUUID()
      sealedSummary = 'Synthetic sealed entry: must survive retention.'
      await db()
        .insertInto('entry')
        .values({ id: sealed, partnership_id: P, child_id: e.child_id, type: 'note', category: null, occurred_at: new Date('2020-01-01T00:00:00Z'), recorded_at: new Date('2020-01-01T00:00:00Z'), author_membership_id: e.author_membership_id, author_team_id: e.author_team_id, source_agency_id: e.source_agency_id, significance: 'low', summary: sealedSummary, visibility: 'sealed', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
        .execute()
      // a concern and a dispute behind the sealed entry: neither listed, counted nor touched
      sealedConcern = randomUUID()
      await sql`insert into concern (id, partnership_id, submission_id, child_id, agency_id, raised_by_membership_id, category, seen_or_heard, occurred_at, entry_id, created_at)
        values (${sealedConcern}, ${P}, ${randomUUID()}, ${e.child_id}, ${e.source_agency_id}, ${membershipOf('sw.north')}, 'neglect', ${sealedSummary}, ${new Date('2020-01-01T00:00:00Z')}, ${sealed}, ${new Date('2020-01-01T00:00:00Z')})`.execute(db())
      await sql`insert into entry_dispute (partnership_id, id, entry_id, child_id, kind, raised_by_name, raised_by_relationship, statement, recorded_by, recorded_at)
        values (${P}, ${randomUUID()}, ${sealed}, ${e.child_id}, 'dispute', 'Synthetic Parent', 'parent', ${sealedSummary}, ${membershipOf('sw.north')}, ${new Date('2020-01-01T00:00:00Z')})`.execute(db())
      // a child of a team the held child is not in gets a row in every table retention covers
      const full = await db()
        .selectFrom('tac_child')
        .select(['tac_id', 'child_id'])
        .where('tac_id', 'not in', heldTeams)
        .where((eb) => eb.exists(eb.selectFrom('entry').select('entry.id').whereRef('entry.child_id', '=', 'tac_child.child_id')))
        .orderBy('tac_id')
        .executeTakeFirstOrThrow()
      fullTac = full.tac_id
      await seedEveryType(db(), full.child_id, full.tac_id)
      // every table retention anonymises has rows (so this test checks something)
      for (const table of covered()) {
        const n = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db())).rows[0]!.n)
        before_[table] = n
      }
      const empty = Object.entries(before_).filter(([, n]) => n === 0).map(([t]) => t)
      assert.deepEqual(empty, [], 'tables the demo data leaves empty: seed them so the run below is checked on them')
    })

    it('a dry run, a second person’s approval and the run leave no narrative in any covered table, except what is held or sealed', async () => {
      assert.equal((await job()).reports, 1)
      const report = await db().selectFrom('retention_report').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow()
      const types = Object.keys((report.counts as unknown as { records: Record<string, number> }).records).sort()
      assert.deepEqual(types, RETENTION_TYPES.map((t) => t.code).filter((c) => c !== 'identity').sort(), 'every type has records to anonymise')
      // two people: asked by one IG officer, approved by the other
      const ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/reports/${report.id}`)
      assert.equal((await ig.post(`/retention/reports/${report.id}/request`, { reason: 'Synthetic: reviewed' })).statusCode, 303)
      const ig2 = await ctx.s.signIn('ig2')
      const page = await ig2.get(`/retention/reports/${report.id}`)
      assert.match(page.body, /Team around the child records: \d+/)
      const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)![1]!
      assert.equal((await ig2.post(`/retention/reports/${report.id}/decide`, { decision: 'approve', reason: 'Checked', rowVersion })).statusCode, 303)
      assert.equal((await job()).executed, 1)
      // kept: the held child and any child not yet a year past their (expected) date of birth, and their teams
      const today = new Date(ctx.s.clock.now()).toISOString().slice(0, 10)
      const young = await db().selectFrom('child').select('id').where((eb) => eb.or([eb('date_of_birth', 'is', null), eb('date_of_birth', '>', `${Number(today.slice(0, 4)) - 1}${today.slice(4)}`)])).execute()
      const exempt = [held, ...young.map((c) => c.id)]
      const exemptTeams = (await db().selectFrom('tac_child').select('tac_id').where('child_id', 'in', exempt).execute()).map((r) => r.tac_id)

      const removed = /^\[removed under retention on \d{4}-\d{2}-\d{2}\]$/
      for (const target of [...TARGETS, { code: 'identity', parts: IDENTITY_PARTS }]) {
        for (const part of target.parts) {
          const textCols = Object.entries(part.set).filter(([, how]) => how === 'text').map(([c]) => c)
          if (!textCols.length) continue
          // rows of the held child, of the held child's teams, and sealed entries are kept
          const cols = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${part.table}`.execute(db())
          const has = new Set(cols.rows.map((r) => r.column_name))
          const keep = [
            has.has('child_id') ? sql`(child_id is null or not (child_id = any(${exempt}::uuid[])))` : sql`true`,
            has.has('tac_id') ? sql`(tac_id is null or not (tac_id = any(${exemptTeams}::uuid[])))` : sql`true`,
            part.table === 'meeting_decision' || part.table === 'meeting_invitee' ? sql`meeting_id not in (select id from meeting where tac_id = any(${exemptTeams}::uuid[]))` : sql`true`,
            part.table === 'entry' ? sql`visibility <> 'sealed'` : sql`true`,
            has.has('entry_id') ? sql`entry_id is distinct from ${sealed}::uuid` : sql`true`,
            part.only ?? sql`true`,
          ]
          for (const col of textCols) {
            const left = await sql<{ v: string }>`select ${sql.ref(col)} as v from ${sql.table(part.table)} where ${sql.join(keep, sql` and `)} and ${sql.ref(col)} is not null`.execute(db())
            const bad = left.rows.filter((r) => !removed.test(r.v))
            assert.deepEqual(bad.slice(0, 3), [], `${part.table}.${col} (${target.code}): ${bad.length} of ${left.rows.length} left`)
          }
        }
      }
      // a member's duties (what they were asked to do for the child and family) go with the team's other records
      const duties = await db().selectFrom('tac_member').select('duties').where('tac_id', '=', fullTac).where('duties', '<>', '').execute()
      assert.ok(duties.length > 0)
      assert.deepEqual(duties.filter((d) => !removed.test(d.duties)), [], 'tac_member.duties left behind')
      // the held child's own records are untouched, and so are their teams' meetings
      const heldEntries = await db().selectFrom('entry').select('summary').where('child_id', '=', held).execute()
      assert.ok(heldEntries.length > 0 && heldEntries.every((e) => !removed.test(e.summary)), 'the held child’s entries are kept')
      const heldMeetings = await db().selectFrom('meeting').select('title').where('tac_id', 'in', heldTeams).execute()
      assert.ok(heldMeetings.every((m) => !removed.test(m.title)), 'the held child’s teams’ meetings are kept')
      const touched = await db().selectFrom('retention_action').select('record_type').where((eb) => eb.or([eb('child_id', '=', held), eb('record_id', 'in', [held, ...heldTeams])])).execute()
      assert.deepEqual(touched, [], 'nothing of the held child’s, nor of their teams, was acted on')
      assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', sealed).executeTakeFirstOrThrow()).summary, sealedSummary, 'sealed entries are kept')
      assert.equal((await db().selectFrom('concern').select('seen_or_heard').where('id', '=', sealedConcern).executeTakeFirstOrThrow()).seen_or_heard, sealedSummary, 'a concern behind a sealed entry is kept')
      assert.equal((await db().selectFrom('entry_dispute').select('statement').where('entry_id', '=', sealed).executeTakeFirstOrThrow()).statement, sealedSummary, 'a dispute beside a sealed entry is kept')
      const listed = JSON.stringify(report.items)
      assert.ok(!listed.includes(sealedConcern) && !listed.includes(sealed), 'nothing behind a seal is listed (nor counted)')
      // the identities: every other child anonymised, with the agencies' records of them
      const named = await db().selectFrom('child').select('given_name').where('id', 'not in', exempt).where('given_name', '<>', 'Removed').execute()
      assert.equal(named.length, 0)
      const agencyNamed = await db().selectFrom('agency_record').select('id').where('child_id', 'not in', exempt).where('given_name', '<>', 'Removed').execute()
      assert.equal(agencyNamed.length, 0)
      // what was done is recorded per record, and a second run does nothing more
      const acted = await db().selectFrom('retention_action').select('record_type').distinct().execute()
      assert.deepEqual(acted.map((a) => a.record_type).sort(), RETENTION_TYPES.map((t) => t.code).sort())
      ctx.s.clock.advance(86_400_000)
      assert.deepEqual(await job(), { executed: 0, reports: 0 })
      // the pages still render every anonymised record (a plan version emptied, a team's records replaced)
      const sw = await ctx.s.signIn('ig')
      assert.equal((await sw.get(`/retention/reports/${report.id}`)).statusCode, 200)
    })

    it('a sharing decision changes only under retention, and only its free text', async () => {
      // one retention has not acted on: a copy of an existing decision under a new id
      const any = { id: randomUUID() }
      await sql`insert into sharing_decision select (jsonb_populate_record(null::sharing_decision, to_jsonb(s) || jsonb_build_object('id', ${any.id}::uuid, 'idempotency_key', null))).* from sharing_decision s limit 1`.execute(db())
      await assert.rejects(sql`update sharing_decision set reasons = 'changed' where id = ${any.id}`.execute(db()), /never changed/)
      await assert.rejects(sql`delete from sharing_decision where id = ${any.id}`.execute(db()), /never deleted|permission denied/)
      // even with its retention_action row, only the recorded text may go in, and in every free-text column
      const row = await db().selectFrom('sharing_decision').select(['child_id']).where('id', '=', any.id).executeTakeFirstOrThrow()
      const report = await db().selectFrom('retention_report').select('id').executeTakeFirstOrThrow()
      await assert.rejects(
        db().transaction().execute(async (trx) => {
          await trx.insertInto('retention_action').values({ id: randomUUID(), partnership_id: P, report_id: report.id, child_id: row.child_id, record_type: 'sharing_decision', record_id: any.id, action: 'anonymised', replacement: 'x', acted_at: new Date() }).execute()
          await sql`update sharing_decision set reasons = 'x', what = 'something else' where id = ${any.id}`.execute(trx)
        }),
        /never changed/,
      )
    })
  })
}
