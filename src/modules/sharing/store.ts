// Recording a sharing decision (R18, R20), in the caller's transaction: used by the child's "Record a sharing
// decision" page and API, and by every capability that moves information beyond its agency — a referral to the
// front door, an answered information request, a widened entry, a safeguarding file moving with the child.
//
// The caller has already checked the child is in the actor's reach (as for startTac). This module validates the
// decision (every problem at once, as field messages), checks it against the partnership's information-sharing
// agreement (a share the agreement does not cover needs the practitioner's recorded justification, which is stored
// and flagged), inserts the `sharing_decision` row and the chronology entry (type `sharing_decision`, one per child)
// and, unless the caller writes its own, the audit row.
//
// Entry visibility: a decision to share is `team` (everyone whose relationship gives case reach sees that
// information moved, of which kinds, to whom and why in law — never the information itself, nor the decision's
// description of it, which the repository shows only to the agencies involved); a decision NOT to share is `agency` (only the
// deciding agency's safeguarding roles: the others must not learn that something was withheld from them). The
// author always sees their own entry. A caller may choose another label (`visibility`).
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { writeAudit, type AuditRecord } from '../../data/audit.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { AgencyKind, DB, SharingConsent, SharingContext, Visibility } from '../../data/schema.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import {
  ART9_CONDITIONS,
  CATEGORIES,
  CONTEXTS,
  GOLDEN_RULES,
  GOLDEN_RULES_REQUIRED_TO_SHARE,
  LAWFUL_BASES,
  PARA18_REASONS,
  PURPOSES,
  SCHEDULE1_CONDITIONS,
  codesOf,
  labelOf,
} from './codes.ts'
import { authoredNow } from '../../data/repositories/entries.ts'

export { GOLDEN_RULES, PURPOSES, CATEGORIES, LAWFUL_BASES, ART9_CONDITIONS, SCHEDULE1_CONDITIONS, PARA18_REASONS } from './codes.ts'

export interface SharingDecisionInput {
  childId: string
  /** false = a decision NOT to share (reasons required). */
  shared: boolean
  /** What information, in plain words. */
  what: string
  /** Entries the decision concerns, if any (each must be the child's and visible to the actor). */
  entryIds?: string[]
  /** Recipient agencies in the partnership (may be empty when withOther is given). */
  withAgencyIds: string[]
  /** A recipient outside the partnership, in words (never covered by the agreement: needs the justification). */
  withOther?: string | null
  /** A code from PURPOSES. */
  purpose: string
  /** Categories of information (codes from CATEGORIES); checked against the agreement when given. */
  categories?: string[]
  /** UK GDPR Art 6(1)(a)–(f): '6.1.a' … '6.1.f'. */
  lawfulBasis: string
  specialCategory: boolean
  /** Required when specialCategory: a code from ART9_CONDITIONS, e.g. '9.2.g'. */
  art9Condition?: string | null
  /** Required with Art 9(2)(g): a DPA 2018 Sch 1 condition, e.g. 'sch1.18' (safeguarding of children and individuals at risk). */
  schedule1Condition?: string | null
  /** Required with Sch 1 para 18 when consent is not given: which para 18(2) reason applies (R18). */
  para18Reason?: string | null
  consent: SharingConsent
  /** Required unless consent = 'given'; when consent is the basis (Art 6(1)(a) or 9(2)(a)), the record of the consent: who gave it, when, to what. */
  consentReason?: string | null
  /** The seven golden rules check: every key of GOLDEN_RULES, true or false. */
  goldenRules: Record<string, boolean>
  reasons: string
  /** Why sharing outside the information-sharing agreement is justified (required when the agreement does not cover it). */
  outsideAgreementReason?: string | null
  context: SharingContext
  contextId?: string | null
  /** The chronology entry's label; default `team` for a decision to share, `agency` for a decision not to. */
  visibility?: Visibility
  /** API creates: the same key twice from the same practitioner makes one decision. */
  idempotencyKey?: string | null
}

export interface FieldProblem {
  path: string
  message: string
}

/** A decision that cannot be recorded as it stands: every problem, by field (form field names; the API maps them). */
export class SharingValidationError extends RefusedError {
  readonly fields: FieldProblem[]
  constructor(fields: FieldProblem[]) {
    super(fields.map((f) => f.message).join('. '))
    this.fields = fields
  }
}

const blank = (v: string | null | undefined) => !v || !v.trim()

/**
 * The rules a sharing decision must meet, checked without the database (the agreement check is separate): the
 * routes show these as field messages. Field paths are SharingDecisionInput's names.
 */
export function validateSharingDecision(input: SharingDecisionInput): FieldProblem[] {
  const p: FieldProblem[] = []
  const add = (path: string, message: string) => p.push({ path, message })
  if (blank(input.what)) add('what', 'Say what information the decision is about')
  else if (input.what.length > 5000) add('what', 'What information must be 5,000 characters or fewer')
  if (!input.withAgencyIds.length && blank(input.withOther)) add('withAgencyIds', input.shared ? 'Choose who the information is shared with' : 'Choose who the information is not shared with')
  if (input.withAgencyIds.some((id) => !isUuid(id))) add('withAgencyIds', 'Choose agencies from the list')
  if ((input.withOther ?? '').length > 500) add('withOther', 'The recipient outside the partnership must be 500 characters or fewer')
  if (!codesOf(PURPOSES).includes(input.purpose)) add('purpose', 'Choose the purpose')
  const categories = input.categories ?? []
  if (categories.some((c) => !codesOf(CATEGORIES).includes(c))) add('categories', 'Choose categories of information from the list')
  if (!codesOf(LAWFUL_BASES).includes(input.lawfulBasis)) add('lawfulBasis', 'Choose the lawful basis (UK GDPR Article 6)')
  else if (input.lawfulBasis === '6.1.a' && input.consent !== 'given' && input.shared) add('lawfulBasis', 'Consent is the lawful basis only when consent has been given: choose another basis')
  if (categories.includes('health') && !input.specialCategory) add('specialCategory', 'Health information is special-category data: say yes')
  if (input.specialCategory) {
    if (blank(input.art9Condition)) add('art9Condition', 'Special-category data: choose the Article 9 condition')
    else if (!codesOf(ART9_CONDITIONS).includes(input.art9Condition!)) add('art9Condition', 'Choose the Article 9 condition from the list')
    else if (input.art9Condition === '9.2.a' && input.consent !== 'given' && input.shared) add('art9Condition', 'Explicit consent applies only when consent has been given: choose another condition')
    else if (input.art9Condition === '9.2.g') {
      if (blank(input.schedule1Condition)) add('schedule1Condition', 'Article 9(2)(g): choose the DPA 2018 Schedule 1 condition')
      else if (!codesOf(SCHEDULE1_CONDITIONS).includes(input.schedule1Condition!)) add('schedule1Condition', 'Choose the Schedule 1 condition from the list')
      else if (input.schedule1Condition === 'sch1.18' && input.consent !== 'given' && input.shared) {
        if (blank(input.para18Reason)) add('para18Reason', 'Sharing without consent under Schedule 1 paragraph 18: say which reason applies')
        else if (!codesOf(PARA18_REASONS).includes(input.para18Reason!)) add('para18Reason', 'Choose the paragraph 18 reason from the list')
      }
    }
  }
  if (!['given', 'refused', 'not_sought'].includes(input.consent)) add('consent', 'Say whether consent was given, refused or not sought')
  else if (input.consent !== 'given' && blank(input.consentReason)) add('consentReason', input.consent === 'refused' ? 'Consent was refused: record why you are going ahead, or why it matters' : 'Consent was not sought: record why')
  // consent as the basis of a share (Art 6(1)(a) or explicit consent, Art 9(2)(a)) stands on a record of the consent
  // itself: who gave it, when, and to what they agreed (UK GDPR Art 7(1): the controller must be able to show it)
  else if (input.shared && input.consent === 'given' && (input.lawfulBasis === '6.1.a' || (input.specialCategory && input.art9Condition === '9.2.a')) && blank(input.consentReason))
    add('consentReason', 'Consent is the basis for sharing: record who gave consent, when, and what they agreed to share')
  const rules = input.goldenRules ?? {}
  const missing = GOLDEN_RULES.filter((r) => typeof rules[r.code] !== 'boolean')
  if (missing.length) add('goldenRules', 'Answer every golden rule')
  else if (input.shared && GOLDEN_RULES_REQUIRED_TO_SHARE.some((r) => !rules[r])) add('goldenRules', 'Before sharing, confirm golden rules 5, 6 and 7: identities protected, only relevant and accurate information, the decision recorded')
  if (Object.keys(rules).some((k) => !codesOf(GOLDEN_RULES).includes(k))) add('goldenRules', 'Answer the golden rules from the list')
  if (blank(input.reasons)) add('reasons', input.shared ? 'Record the reasons for sharing' : 'Record the reasons for deciding not to share')
  if (!codesOf(CONTEXTS).includes(input.context)) add('context', 'Unknown context')
  if (input.contextId && !isUuid(input.contextId)) add('contextId', 'Unknown context record')
  if ((input.entryIds ?? []).some((id) => !isUuid(id))) add('entryIds', 'Choose entries from the child’s chronology')
  return p
}

/** One rule of the information-sharing agreement: from (an agency, a kind of agency, or any) to (the same), what, why. */
export interface AgreementRule {
  id: string
  fromAgencyKind: AgencyKind | null
  fromAgencyId: string | null
  toAgencyKind: AgencyKind | null
  toAgencyId: string | null
  categories: readonly string[]
  purposes: readonly string[]
}

interface Party {
  id: string
  kind: AgencyKind
}

const sidesMatch = (agencyId: string | null, kind: AgencyKind | null, party: Party) => (agencyId ? agencyId === party.id : kind ? kind === party.kind : true)

/** Does the rule cover sharing these categories, for this purpose, from one agency to another? (Pure.) */
export function ruleCovers(rule: AgreementRule, from: Party, to: Party, purpose: string, categories: readonly string[]): boolean {
  return sidesMatch(rule.fromAgencyId, rule.fromAgencyKind, from) && sidesMatch(rule.toAgencyId, rule.toAgencyKind, to) && rule.purposes.includes(purpose) && categories.every((c) => rule.categories.includes(c))
}

export interface NotCovered {
  /** The recipient agency, or null for a recipient outside the partnership. */
  agencyId: string | null
  name: string
  why: string
}

export interface AgreementCheck {
  /** Every recipient is covered for the purpose (and the categories, when given). */
  covered: boolean
  /** The agreement's version the check was made against (null: the partnership has no agreement). */
  version: number | null
  notCovered: NotCovered[]
}

/** The agreement's rules in force at a moment (version and rules). */
export async function agreementInForce(trx: Transaction<DB>, partnershipId: string, at: Date): Promise<{ version: number | null; rules: AgreementRule[] }> {
  const head = await trx.selectFrom('sharing_agreement').select('version').where('partnership_id', '=', partnershipId).executeTakeFirst()
  const rows = await trx
    .selectFrom('sharing_agreement_rule')
    .select(['id', 'from_agency_kind', 'from_agency_id', 'to_agency_kind', 'to_agency_id', 'categories', 'purposes'])
    .where('partnership_id', '=', partnershipId)
    .where('effective_from', '<=', at)
    .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', at)]))
    .execute()
  return {
    version: head?.version ?? null,
    rules: rows.map((r) => ({ id: r.id, fromAgencyKind: r.from_agency_kind, fromAgencyId: r.from_agency_id, toAgencyKind: r.to_agency_kind, toAgencyId: r.to_agency_id, categories: r.categories, purposes: r.purposes })),
  }
}

/**
 * The information-sharing agreement check: is sharing from `fromAgencyId` to each recipient, for `purpose` (and
 * `categories`, when given), covered by a rule in force at `at`? A recipient outside the partnership never is.
 * Usable by any capability before it shares (the result says who is not covered and why, in plain words).
 */
export async function checkAgainstAgreement(
  trx: Transaction<DB>,
  partnershipId: string,
  at: Date,
  q: { fromAgencyId: string; withAgencyIds: readonly string[]; withOther?: string | null; purpose: string; categories?: readonly string[] },
): Promise<AgreementCheck> {
  const { version, rules } = await agreementInForce(trx, partnershipId, at)
  const ids = [...new Set([q.fromAgencyId, ...q.withAgencyIds])].filter(isUuid)
  const agencies = ids.length ? await trx.selectFrom('agency').select(['id', 'kind', 'name']).where('partnership_id', '=', partnershipId).where('id', 'in', ids).execute() : []
  const byId = new Map(agencies.map((a) => [a.id, a]))
  const from = byId.get(q.fromAgencyId)
  const purposeLabel = labelOf(PURPOSES, q.purpose).toLowerCase()
  const categories = q.categories ?? []
  const notCovered: NotCovered[] = []
  for (const id of q.withAgencyIds) {
    const to = byId.get(id)
    if (!to) {
      notCovered.push({ agencyId: id, name: 'Unknown agency', why: 'not an agency of the partnership' })
      continue
    }
    if (from && rules.some((r) => ruleCovers(r, from, to, q.purpose, categories))) continue
    const forPurpose = from ? rules.filter((r) => ruleCovers(r, from, to, q.purpose, [])) : []
    const why = !version
      ? 'the partnership has no information-sharing agreement'
      : forPurpose.length
        ? `the agreement does not cover sharing ${categories.map((c) => labelOf(CATEGORIES, c).toLowerCase()).join(', ')} with them for ${purposeLabel}`
        : `the agreement does not cover sharing with them for ${purposeLabel}`
    notCovered.push({ agencyId: id, name: to.name, why })
  }
  if (!blank(q.withOther)) notCovered.push({ agencyId: null, name: q.withOther!.trim(), why: 'outside the partnership: the agreement does not cover them' })
  return { covered: notCovered.length === 0, version, notCovered }
}

/** Recipient names for summaries: the partnership's agencies named, then the one outside it. */
async function recipientNames(trx: Transaction<DB>, partnershipId: string, ids: readonly string[], other: string | null): Promise<string[]> {
  const rows = ids.length ? await trx.selectFrom('agency').select(['id', 'name']).where('partnership_id', '=', partnershipId).where('id', 'in', [...ids]).execute() : []
  const names = ids.map((id) => rows.find((r) => r.id === id)?.name ?? 'an agency')
  return other ? [...names, other] : names
}

const joinNames = (names: readonly string[]) => (names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`)

export interface RecordOptions {
  /** Write the decision's own audit row (default). A caller whose own audit row already describes the act passes false. */
  audit?: boolean
  /**
   * The entries are the caller's own choice, not the actor's (a concern handed on names its own entry, on behalf of a
   * raiser whose reach may have ended): they are checked to be the child's, not against the actor's entitlement.
   */
  entriesChecked?: boolean
}

export interface RecordedSharingDecision {
  id: string
  entryIds: string[]
  withinAgreement: boolean | null
  agreement: AgreementCheck | null
  /** The audit record of the decision (written unless `audit: false`; a caller may write it as its own). */
  auditRecord: AuditRecord
}

/**
 * Records a sharing decision in the caller's transaction: validates (SharingValidationError with every problem, a
 * RefusedError the unit of work audits as refused), checks the agreement, inserts the decision, its chronology entry
 * and (unless opts.audit is false) its audit row. The caller has checked the child is in the actor's reach.
 */
export async function recordSharingDecision(trx: Transaction<DB>, actor: Actor, now: Date, input: SharingDecisionInput, opts: RecordOptions = {}): Promise<RecordedSharingDecision> {
  const withOther = blank(input.withOther) ? null : input.withOther!.trim()
  // ids as stored (lower case), once each: an id in capitals is the same agency
  const withAgencyIds = [...new Set(input.withAgencyIds.map((id) => id.toLowerCase()))]
  const problems = validateSharingDecision({ ...input, withAgencyIds, withOther })
  if (!isUuid(input.childId)) throw new RefusedError('The child is not found')
  const child = await trx.selectFrom('child').select('id').where('id', '=', input.childId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
  if (!child) throw new RefusedError('The child is not found')
  if (withAgencyIds.includes(actor.agencyId)) problems.push({ path: 'withAgencyIds', message: 'Your own agency is not a recipient: choose other agencies' })
  // whether shared or not, the recipients are the partnership's agencies: a decision not to share names who was not
  // told, and a name that is no agency would read "an agency" for ever
  else if (withAgencyIds.length && !problems.some((p) => p.path === 'withAgencyIds')) {
    const known = await trx.selectFrom('agency').select('id').where('partnership_id', '=', actor.partnershipId).where('id', 'in', withAgencyIds.filter(isUuid)).execute()
    if (known.length !== withAgencyIds.length) problems.push({ path: 'withAgencyIds', message: 'Choose agencies from the list' })
  }

  const entryIds = [...new Set(input.entryIds ?? [])].filter(isUuid)
  if (entryIds.length) {
    const seen = await trx
      .selectFrom('entry as e')
      .select('e.id')
      .where('e.id', 'in', entryIds)
      .where('e.child_id', '=', input.childId)
      .where('e.partnership_id', '=', actor.partnershipId)
      .$if(!opts.entriesChecked, (q) => q.where(entryVisible(actor, now)))
      .execute()
    if (seen.length !== entryIds.length) problems.push({ path: 'entryIds', message: 'Choose entries from the child’s chronology' })
  }

  let agreement: AgreementCheck | null = null
  if (input.shared && !problems.some((p) => p.path === 'withAgencyIds' || p.path === 'purpose' || p.path === 'categories')) {
    agreement = await checkAgainstAgreement(trx, actor.partnershipId, now, { fromAgencyId: actor.agencyId, withAgencyIds, withOther, purpose: input.purpose, categories: input.categories ?? [] })
    if (agreement.notCovered.some((n) => n.why === 'not an agency of the partnership')) problems.push({ path: 'withAgencyIds', message: 'Choose agencies from the list' })
    else if (!agreement.covered && blank(input.outsideAgreementReason)) {
      problems.push({
        path: 'outsideAgreementReason',
        message: `The information-sharing agreement does not cover this (${agreement.notCovered.map((n) => `${n.name}: ${n.why}`).join('; ')}): record why sharing outside the agreement is justified`,
      })
    }
  }
  if (problems.length) throw new SharingValidationError(problems)

  const withinAgreement = input.shared ? (agreement?.covered ?? false) : null
  const id = randomUUID()
  const entryId = randomUUID()
  const visibility: Visibility = input.visibility ?? (input.shared ? 'team' : 'agency')
  const specialCategory = input.specialCategory
  const art9 = specialCategory ? (input.art9Condition ?? null) : null
  const sch1 = art9 === '9.2.g' ? (input.schedule1Condition ?? null) : null
  const para18 = sch1 === 'sch1.18' && input.consent !== 'given' && !blank(input.para18Reason) ? input.para18Reason! : null
  const goldenRules = Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, Boolean(input.goldenRules[r.code])]))
  await trx
    .insertInto('sharing_decision')
    .values({
      id,
      partnership_id: actor.partnershipId,
      child_id: input.childId,
      shared: input.shared,
      what: input.what.trim(),
      categories: [...new Set(input.categories ?? [])],
      entry_ids: entryIds,
      with_agency_ids: withAgencyIds,
      with_other: withOther,
      purpose: input.purpose,
      lawful_basis: input.lawfulBasis,
      special_category: specialCategory,
      art9_condition: art9,
      schedule1_condition: sch1,
      para18_reason: para18,
      consent: input.consent,
      consent_reason: input.consent === 'given' ? (blank(input.consentReason) ? null : input.consentReason!.trim()) : input.consentReason!.trim(),
      golden_rules: sql`${JSON.stringify(goldenRules)}::jsonb` as unknown as Record<string, boolean>,
      reasons: input.reasons.trim(),
      within_agreement: withinAgreement,
      agreement_version: agreement?.version ?? null,
      outside_agreement_reason: withinAgreement === false ? input.outsideAgreementReason!.trim() : null,
      not_covered: sql`${JSON.stringify(agreement?.notCovered ?? [])}::jsonb` as unknown as unknown[],
      context: input.context,
      context_id: input.contextId ?? null,
      visibility,
      author_membership_id: actor.membershipId,
      author_agency_id: actor.agencyId,
      author_team_id: actor.teamId,
      idempotency_key: input.idempotencyKey ?? null,
      created_at: now,
    })
    .execute()

  const names = joinNames(await recipientNames(trx, actor.partnershipId, withAgencyIds, withOther))
  const purpose = labelOf(PURPOSES, input.purpose).toLowerCase()
  // a decision to share is seen by the team: its entry says that information moved, of which kinds, to whom and
  // why in law — the description of what was shared stays on the decision, for the agencies involved
  const kinds = [...new Set(input.categories ?? [])].map((c) => labelOf(CATEGORIES, c).toLowerCase())
  const summary = input.shared
    ? `Sharing decision: information${kinds.length ? ` (${kinds.join(', ')})` : ''} shared with ${names} (${purpose}; ${labelOf(LAWFUL_BASES, input.lawfulBasis)})${withinAgreement ? '' : ' — outside the information-sharing agreement'}`
    : `Sharing decision: decided NOT to share with ${names} (${purpose}): ${input.what.trim()}`
  await trx
    .insertInto('entry')
    .values({
      id: entryId,
      partnership_id: actor.partnershipId,
      child_id: input.childId,
      type: 'sharing_decision',
      category: null,
      ...authoredNow(actor, now),
      significance: withinAgreement === false ? 'high' : 'medium',
      summary,
      detail_type: 'sharing_decision',
      detail_id: id,
      visibility,
      addressed_to_membership_id: null,
      agency_record_id: null,
      supersedes_entry_id: null,
    })
    .execute()

  const auditRecord: AuditRecord = {
    action: 'sharing.decision.record',
    outcome: 'success',
    entityType: 'sharing_decision',
    entityId: id,
    childIds: [input.childId],
    details: {
      shared: input.shared,
      context: input.context,
      ...(input.contextId ? { contextId: input.contextId } : {}),
      purpose: input.purpose,
      lawfulBasis: input.lawfulBasis,
      consent: input.consent,
      withAgencyIds,
      outsidePartnership: Boolean(withOther),
      withinAgreement,
      agreementVersion: agreement?.version ?? null,
    },
  }
  if (opts.audit !== false) await writeAudit(trx, actor, now, auditRecord)
  return { id, entryIds: [entryId], withinAgreement, agreement, auditRecord }
}
