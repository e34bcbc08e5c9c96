// Checking an answer to an information request — the same rules for the page and the API, every problem at once:
// the response (entries, nothing known, or declined), each entry (what, when, how significant, who may see it), a
// reason when the answer is late, and the sharing decision (src/modules/sharing/store.ts: its own pure validation).
// Paths: 'response', 'entries.<i>.<field>', 'note', 'lateReason', 'sharing.<field>' (SharingDecisionInput's names).
import { z } from 'zod'
import { CATEGORIES, GOLDEN_RULES, codesOf } from '../sharing/codes.ts'
import { validateSharingDecision, type SharingDecisionInput } from '../sharing/store.ts'
import { SIGNIFICANCES, VISIBILITIES, type SharingConsent } from '../../data/schema.ts'
import type { AnswerEntryInput, AnswerInput, SharingFields } from './repository.ts'
import { isCalendarDate } from '../../web/dates.ts'
import { MAX_ANSWER_ENTRIES } from './rules.ts'

export const RESPONSES = {
  share: 'We hold information: record it',
  nothing_known: 'Nothing known: we hold no information about this child',
  decline: 'Decline to share, with the reasons',
} as const
export type Response = keyof typeof RESPONSES

export interface RawEntry {
  summary?: unknown
  occurredOn?: unknown
  significance?: unknown
  visibility?: unknown
}

export interface RawSharing {
  purpose?: unknown
  categories?: unknown
  lawfulBasis?: unknown
  specialCategory?: unknown
  art9Condition?: unknown
  schedule1Condition?: unknown
  para18Reason?: unknown
  consent?: unknown
  consentReason?: unknown
  goldenRules?: unknown
  reasons?: unknown
  outsideAgreementReason?: unknown
}

export interface RawAnswer {
  response?: unknown
  entries: RawEntry[]
  note?: unknown
  lateReason?: unknown
  sharing: RawSharing
}

export interface Problem {
  path: string
  message: string
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '')

const entrySchema = z.object({
  summary: z.string({ message: 'Say what your agency knows' }).trim().min(1, 'Say what your agency knows').max(5000, 'Must be 5,000 characters or fewer'),
  occurredOn: z.string({ message: 'Enter the date it happened' }).trim().min(1, 'Enter the date it happened').refine((s) => isCalendarDate(s), 'Enter a real date as YYYY-MM-DD, for example 2026-11-20'),
  significance: z.enum(SIGNIFICANCES, { message: 'Choose how significant it is' }),
  visibility: z.enum(VISIBILITIES, { message: 'Choose who may see it' }),
})

/** Checks an answer; `now` bounds the dates. */
export function checkAnswer(raw: RawAnswer, ctx: { now: Date; today: string }): { ok: true; value: AnswerInput } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = []
  const add = (path: string, message: string) => {
    if (!problems.some((p) => p.path === path)) problems.push({ path, message })
  }
  const response = str(raw.response) as Response
  if (!(response in RESPONSES)) add('response', 'Say whether your agency holds information, knows nothing, or declines to share')
  const entries: AnswerEntryInput[] = []
  if (response === 'share') {
    if (!raw.entries.length) add('entries.0.summary', 'Say what your agency knows')
    if (raw.entries.length > MAX_ANSWER_ENTRIES) add('entries', `No more than ${MAX_ANSWER_ENTRIES} entries in one answer`)
    raw.entries.slice(0, MAX_ANSWER_ENTRIES).forEach((e, i) => {
      const parsed = entrySchema.safeParse({ summary: e.summary ?? '', occurredOn: e.occurredOn ?? '', significance: e.significance, visibility: e.visibility })
      if (!parsed.success) {
        for (const issue of parsed.error.issues) add(`entries.${i}.${String(issue.path[0])}`, issue.message)
        return
      }
      if (parsed.data.occurredOn > ctx.today) add(`entries.${i}.occurredOn`, 'The date cannot be in the future')
      else if (parsed.data.occurredOn < '1900-01-01') add(`entries.${i}.occurredOn`, 'Enter a date after 1900')
      // an answer is addressed to the requester, but a sealed entry is its authoring team's only (entryVisible): sealed,
      // the requester would never see what the sharing decision records as shared with their agency
      if (parsed.data.visibility === 'sealed') add(`entries.${i}.visibility`, 'An answer goes to the requester, and a sealed entry is seen by your team only: choose who else may see it')
      entries.push(parsed.data)
    })
  }
  const note = str(raw.note)
  if (note.length > 5000) add('note', 'Must be 5,000 characters or fewer')
  const lateReason = str(raw.lateReason)
  if (lateReason.length > 5000) add('lateReason', 'Must be 5,000 characters or fewer')

  const s = raw.sharing
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).map((x) => String(x))
  const ticked = s.goldenRules
  // the page sends the rules confirmed (checkboxes); the API an object of every rule, true or false
  const goldenRules: Record<string, boolean> =
    ticked && typeof ticked === 'object' && !Array.isArray(ticked) ? (ticked as Record<string, boolean>) : Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, list(ticked).includes(r.code)]))
  const specialCategory = s.specialCategory === true || s.specialCategory === 'yes' ? true : s.specialCategory === false || s.specialCategory === 'no' ? false : null
  if (specialCategory === null) add('sharing.specialCategory', 'Say whether it includes special-category data (for example health)')
  const categories = list(s.categories)
  const sharing: SharingFields = {
    purpose: str(s.purpose),
    categories: categories.filter((c) => codesOf(CATEGORIES).includes(c)),
    lawfulBasis: str(s.lawfulBasis),
    specialCategory: specialCategory ?? false,
    art9Condition: str(s.art9Condition) || null,
    schedule1Condition: str(s.schedule1Condition) || null,
    para18Reason: str(s.para18Reason) || null,
    consent: str(s.consent) as SharingConsent,
    consentReason: str(s.consentReason) || null,
    goldenRules,
    reasons: str(s.reasons),
    outsideAgreementReason: str(s.outsideAgreementReason) || null,
  }
  if (categories.length !== sharing.categories!.length) add('sharing.categories', 'Choose categories of information from the list')
  for (const [field, max] of [['reasons', 10_000], ['consentReason', 5000], ['outsideAgreementReason', 5000]] as const) {
    if (str(s[field]).length > max) add(`sharing.${field}`, `Must be ${max.toLocaleString('en-GB')} characters or fewer`)
  }
  if (response in RESPONSES) {
    // what and with whom come from the request: placeholders here, so only the answerer's own fields are checked
    const probe: SharingDecisionInput = { ...sharing, childId: '00000000-0000-4000-8000-000000000000', shared: response !== 'decline', what: 'answer', withAgencyIds: ['00000000-0000-4000-8000-000000000001'], context: 'request_answer' }
    for (const p of validateSharingDecision(probe)) {
      const message = response === 'decline' && p.path === 'reasons' ? 'Give the reasons your agency declines to share' : p.message
      add(`sharing.${p.path}`, message)
    }
  }
  if (problems.length) return { ok: false, problems }
  const late = lateReason || null
  const value: AnswerInput =
    response === 'share' ? { response, entries, sharing, lateReason: late } : response === 'nothing_known' ? { response, note, sharing, lateReason: late } : { response: 'decline', sharing, lateReason: late }
  return { ok: true, value }
}

/** The form's field for a problem's path (the page's element ids). */
export function fieldFor(path: string): string {
  const m = /^entries\.(\d+)\.(\w+)$/.exec(path)
  if (m) return `e${Number(m[1]) + 1}${m[2]!.charAt(0).toUpperCase()}${m[2]!.slice(1)}`
  if (path === 'entries') return 'e1Summary'
  if (path.startsWith('sharing.')) {
    const f = path.slice('sharing.'.length)
    return f === 'what' || f === 'withAgencyIds' || f === 'context' || f === 'contextId' || f === 'entryIds' ? 'response' : f
  }
  return path
}
