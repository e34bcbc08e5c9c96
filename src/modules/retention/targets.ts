// What the retention job does to each record type (rules.ts RETENTION_TYPES): where a child's records of the type are,
// and what anonymising them means — which columns get the removed text, which are cleared. Declarative, so that a new
// table holding a child's personal data is one line here (and a line in the retention test's seed).
//
// - A record type is one or more *parts*. A part whose rows carry `child_id` lists records ('self'); the others are the
//   detail rows of a listed record (a referral's checks and challenges, an assessment's contributions), found through
//   a column naming it, or naming a record of a parent table (a team's meetings' decisions).
// - 'text' puts the removed text where the column held something and leaves an empty column empty (so "not given"
//   stays "not given" and no check constraint about a column being set or not is broken); 'null' clears; JSON and
//   byte columns are emptied. Codes, dates, lawful bases and who-did-what are kept: they carry no narrative, and the
//   account of the work outlives its content.
// - Records of a team around the child belong to all its children: the team's records are listed under the child
//   whose date comes last, and only when every child of the team is due and none is on hold (re-checked when acted on).
// - Sealed entries are never listed (they were sealed by two people; unsealing comes first), nor is anything whose
//   chronology entry is sealed (its concern, triage, consultation, notice, missing episode, a dispute beside it).
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { DB, RetentionRecordType } from '../../data/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

type Replace = 'text' | 'null' | 'empty_json_array' | 'empty_array' | 'empty_bytes' | { value: string } | { json: string }

interface Part {
  table: string
  /** 'self': the rows are the listed records (they carry child_id); otherwise detail rows of a listed record. */
  via: 'self' | { column: string } | { column: string; parent: string; parentColumn: string }
  set: Record<string, Replace>
  /** Only these rows (a condition on the part's own columns). */
  only?: RawBuilder<boolean>
}

export interface Target {
  code: RetentionRecordType
  parts: Part[]
  /** Records of the team around the child: listed per team, due when every child of the team is. */
  team?: boolean
}

const T = 'text' as const

/** Rows whose chronology entry is sealed stay as they are, uncounted: the seal (two people) comes first. */
const notBehindSeal = (table: string) => sql<boolean>`not exists (select 1 from entry sealed where sealed.id = ${sql.table(table)}.entry_id and sealed.visibility = 'sealed')`

/** Every type but the identity (the job treats the identity itself: names, addresses and family members are deleted). */
export const TARGETS: readonly Target[] = [
  { code: 'entry', parts: [{ table: 'entry', via: 'self', set: { summary: T }, only: sql<boolean>`visibility <> 'sealed'` }] },
  {
    code: 'concern',
    parts: [
      { table: 'concern', via: 'self', set: { seen_or_heard: T, child_words: 'null', location: 'null', other_children: 'null', body_map: 'empty_json_array' }, only: notBehindSeal('concern') },
      { table: 'triage_action', via: { column: 'concern_id' }, set: { reasons: T }, only: notBehindSeal('triage_action') },
    ],
  },
  {
    code: 'referral',
    parts: [
      {
        table: 'referral',
        via: 'self',
        set: { referrer_name: T, referrer_contact: T, reason: T, level_reason: T, parents_not_told_reason: T, rationale: T, sign_off_note: T },
      },
      { table: 'referral_check', via: { column: 'referral_id' }, set: { finding: T } },
      { table: 'challenge', via: { column: 'referral_id' }, set: { reason: T, response: T } },
    ],
  },
  { code: 'consultation', parts: [{ table: 'consultation', via: 'self', set: { question: T, advice: T, next_step: T }, only: notBehindSeal('consultation') }] },
  { code: 'information_request', parts: [{ table: 'information_request', via: 'self', set: { question: T, response_note: T, withdrawn_reason: T } }] },
  {
    code: 'sharing_decision',
    parts: [{ table: 'sharing_decision', via: 'self', set: { what: T, with_other: T, consent_reason: T, reasons: T, outside_agreement_reason: T } }],
  },
  {
    code: 'assessment',
    parts: [
      { table: 'assessment', via: 'self', set: { child_views: T, family_views: T, analysis: T, recommendation: T, late_reason: T, closure_reason: T } },
      { table: 'assessment_domain', via: { column: 'assessment_id' }, set: { strengths: T, needs: T } },
      { table: 'assessment_contribution', via: { column: 'assessment_id' }, set: { body: T } },
    ],
  },
  {
    code: 'plan',
    parts: [
      { table: 'plan_outcome', via: 'self', set: { body: T, measure_name: T } },
      { table: 'plan_action', via: { column: 'outcome_id' }, set: { what: T, owner_name: T, place: T } },
    ],
  },
  {
    code: 'team_around_the_child',
    team: true,
    parts: [
      { table: 'tac_family_member', via: { column: 'tac_id' }, set: { name: T, relationship: T, views: T, agreement_note: T } },
      // what a member was asked to do is free text about the child and family, like the reason they left
      { table: 'tac_member', via: { column: 'tac_id' }, set: { duties: T, left_reason: T } },
      { table: 'level_change', via: { column: 'tac_id' }, set: { reason: T } },
      { table: 'meeting', via: { column: 'tac_id' }, set: { title: T, place: T, agenda: T, minutes: T, late_reason: T } },
      { table: 'meeting_decision', via: { column: 'meeting_id', parent: 'meeting', parentColumn: 'tac_id' }, set: { body: T } },
      // people outside the partnership invited by name (family, others); practitioners' names are theirs, not the child's
      { table: 'meeting_invitee', via: { column: 'meeting_id', parent: 'meeting', parentColumn: 'tac_id' }, set: { name: T }, only: sql<boolean>`membership_id is null` },
      { table: 'plan_outcome', via: { column: 'tac_id' }, set: { body: T, measure_name: T } },
      { table: 'plan_action', via: { column: 'tac_id' }, set: { what: T, owner_name: T, place: T } },
      { table: 'plan_version', via: { column: 'tac_id' }, set: { change_summary: T, snapshot: { json: '{"outcomes": []}' } } },
      { table: 'review', via: { column: 'tac_id' }, set: { child_view: T, family_view: T, summary: T } },
    ],
  },
  {
    code: 'cp',
    parts: [
      { table: 'cp_enquiry', via: 'self', set: { decision_reason: T, outcome_reason: T } },
      { table: 'cp_plan', via: 'self', set: { end_reason: T } },
    ],
  },
  {
    code: 'visit',
    parts: [
      { table: 'visit', via: 'self', set: { purpose: T, not_seen_reason: T, child_words: T, observations: T, agreed: T, follow_ups: T, late_reason: T, cancel_reason: T } },
      { table: 'oversight_note', via: 'self', set: { note: T, decisions: T } },
    ],
  },
  { code: 'missing', parts: [{ table: 'missing_episode', via: 'self', set: { where_found: T, circumstances: T, rhi_child_said: T }, only: notBehindSeal('missing_episode') }] },
  {
    code: 'exploitation',
    parts: [
      { table: 'exploitation_screening', via: 'self', set: { notes: T } },
      { table: 'exploitation_link', via: 'self', set: { label: T, notes: T } },
      { table: 'mace_referral', via: 'self', set: { reason: T, decision_reason: T, attendees: T, closed_reason: T } },
    ],
  },
  {
    code: 'notice',
    parts: [
      { table: 'encompass_notice', via: 'self', set: { summary: T, school_response: T }, only: notBehindSeal('encompass_notice') },
      { table: 'risk_signal', via: 'self', set: { response: T } },
    ],
  },
  {
    code: 'subject_access',
    parts: [
      { table: 'subject_access_request', via: 'self', set: { requester_name: T, identity_verified: T, extension_reason: T, late_reason: T } },
      { table: 'subject_access_item', via: { column: 'request_id' }, set: { content: T, proposed_names: 'empty_array', proposed_text: T, released_text: T, decision_reason: T } },
      { table: 'entry_dispute', via: 'self', set: { raised_by_name: T, statement: T, response: T }, only: notBehindSeal('entry_dispute') },
      // the request's clock has no child (it is information governance's, not the child's case work), so the identity's
      // clock part never reaches it: its reason is the request's late reason, typed again
      { table: 'clock', via: { column: 'subject_id' }, set: { reason: T }, only: sql<boolean>`subject_type = 'subject_access_request'` },
    ],
  },
  {
    code: 'transfer',
    parts: [
      { table: 'file_transfer', via: 'self', set: { to_school_contact: T, note: T, confirmed_by_name: T, late_reason: T, withdraw_reason: T } },
      { table: 'file_transfer_export', via: { column: 'transfer_id' }, set: { ciphertext: 'empty_bytes' } },
    ],
  },
]

/** The agencies' own records of the child, anonymised with the child's identity (the child's id is the record). */
export const IDENTITY_PARTS: readonly Part[] = [
  {
    table: 'agency_record',
    via: { column: 'child_id' },
    set: { given_name: { value: 'Removed' }, family_name: T, nhs_number: 'null', upn: 'null', postcode: 'null', address: 'null', match_explanation: 'null' },
  },
  // the statutory clocks are kept for the partnership's figures (dates, rules, met or late), but a late reason or a
  // withdrawal's reason is a practitioner's free text about the child
  { table: 'clock', via: { column: 'child_id' }, set: { reason: T } },
]

export const targetOf = (code: RetentionRecordType): Target | undefined => TARGETS.find((t) => t.code === code)

const notActed = (P: string, code: RetentionRecordType, table: string) =>
  sql<boolean>`not exists (select 1 from retention_action ra where ra.partnership_id = ${P} and ra.record_type = ${code} and ra.record_id = ${sql.table(table)}.id)`

const ids = (list: readonly string[]) => sql`${[...list]}::uuid[]`

/**
 * The records of a per-child type, of these children, not acted on yet: record ids per child. `restrictTo` narrows to
 * records listed before (the job re-checks them when it acts, and `lock` takes their rows).
 */
export async function childRecords(db: Db, P: string, target: Target, childIds: readonly string[], restrictTo?: readonly string[], lock = false): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (!childIds.length || (restrictTo && !restrictTo.length)) return out
  for (const part of target.parts) {
    if (part.via !== 'self') continue
    const rows = await sql<{ id: string; child_id: string }>`
      select id, child_id from ${sql.table(part.table)}
      where partnership_id = ${P} and child_id = any(${ids(childIds)})
        and ${notActed(P, target.code, part.table)}
        ${part.only ? sql`and ${part.only}` : sql``}
        ${restrictTo ? sql`and id = any(${ids(restrictTo)})` : sql``}
      order by id
      ${lock ? sql`for update` : sql``}`.execute(db)
    for (const r of rows.rows) out.set(r.child_id, [...(out.get(r.child_id) ?? []), r.id])
  }
  return out
}

/**
 * The teams whose records may go: every child of the team is in `eligible` (its team date reached, not on hold), and
 * the team is not acted on yet. Each team is listed under its child whose date comes last (then the larger id).
 */
export async function teamRecords(db: Db, P: string, eligible: ReadonlyMap<string, string>, restrictTo?: readonly string[], lock = false): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  if (!eligible.size || (restrictTo && !restrictTo.length)) return out
  const rows = await sql<{ tac_id: string; child_id: string }>`
    select tc.tac_id, tc.child_id from tac_child tc
    where tc.partnership_id = ${P}
      and tc.tac_id in (select tac_id from tac_child where partnership_id = ${P} and child_id = any(${ids([...eligible.keys()])}))
      and not exists (select 1 from retention_action ra where ra.partnership_id = ${P} and ra.record_type = 'team_around_the_child' and ra.record_id = tc.tac_id)
      ${restrictTo ? sql`and tc.tac_id = any(${ids(restrictTo)})` : sql``}
    order by tc.tac_id, tc.child_id`.execute(db)
  const byTeam = new Map<string, string[]>()
  for (const r of rows.rows) byTeam.set(r.tac_id, [...(byTeam.get(r.tac_id) ?? []), r.child_id])
  const teams: string[] = []
  for (const [tacId, children] of byTeam) {
    if (!children.every((c) => eligible.has(c))) continue
    const last = [...children].sort((a, b) => eligible.get(a)!.localeCompare(eligible.get(b)!) || a.localeCompare(b)).at(-1)!
    out.set(last, [...(out.get(last) ?? []), tacId])
    teams.push(tacId)
  }
  if (lock && teams.length) await sql`select id from tac where partnership_id = ${P} and id = any(${ids(teams)}) for update`.execute(db)
  return out
}

function assignment(column: string, how: Replace, text: string): RawBuilder<unknown> {
  const col = sql.ref(column)
  if (how === 'text') return sql`${col} = case when ${col} is null then null else ${text}::text end`
  if (how === 'null') return sql`${col} = null`
  if (how === 'empty_json_array') return sql`${col} = '[]'::jsonb`
  if (how === 'empty_array') return sql`${col} = '{}'`
  if (how === 'empty_bytes') return sql`${col} = ''::bytea`
  if ('json' in how) return sql`${col} = ${how.json}::jsonb`
  return sql`${col} = ${how.value}::text`
}

/** Anonymises the listed records of a type and their detail rows (the retention_action rows are written first). */
export async function anonymise(trx: Transaction<DB>, P: string, parts: readonly Part[], recordIds: readonly string[], text: string): Promise<void> {
  if (!recordIds.length) return
  for (const part of parts) {
    const set = sql.join(Object.entries(part.set).map(([column, how]) => assignment(column, how, text)))
    const which =
      part.via === 'self'
        ? sql`id = any(${ids(recordIds)})`
        : 'parent' in part.via
          ? sql`${sql.ref(part.via.column)} in (select id from ${sql.table(part.via.parent)} where partnership_id = ${P} and ${sql.ref(part.via.parentColumn)} = any(${ids(recordIds)}))`
          : sql`${sql.ref(part.via.column)} = any(${ids(recordIds)})`
    await sql`update ${sql.table(part.table)} set ${set} where partnership_id = ${P} and ${which} ${part.only ? sql`and ${part.only}` : sql``}`.execute(trx)
  }
}
