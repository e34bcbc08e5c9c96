// A partnership's configurable lists, with the defaults a new partnership starts from: concern categories and
// the levels of need of its threshold document (Working Together: published by the partnership).
import type { Kysely, Transaction } from 'kysely'
import type { DB } from './schema.ts'
import { insertBankHolidays } from '../modules/calendar/clocks.ts'
import { DEFAULT_SIGNAL_RULES } from '../modules/signals/rules.ts'
import { insertDefaultSharingAgreement } from '../modules/sharing/agreement-defaults.ts'

export const DEFAULT_CONCERN_CATEGORIES: [code: string, label: string][] = [
  ['physical_abuse', 'Physical abuse'],
  ['emotional_abuse', 'Emotional abuse'],
  ['sexual_abuse', 'Sexual abuse'],
  ['neglect', 'Neglect'],
  ['domestic_abuse', 'Domestic abuse'],
  ['child_sexual_exploitation', 'Child sexual exploitation'],
  ['child_criminal_exploitation', 'Child criminal exploitation'],
  ['missing', 'Missing from home, care or education'],
  ['radicalisation', 'Radicalisation'],
  ['fgm', 'Female genital mutilation (FGM)'],
  ['self_harm', 'Self-harm'],
  ['mental_health', 'Mental health'],
  ['attendance', 'Attendance'],
  ['online_safety', 'Online safety'],
  ['child_on_child', 'Child-on-child abuse'],
  ['other', 'Other'],
]

export const DEFAULT_NEED_LEVELS: { level: number; name: string; descriptor: string; examples: string; response: string }[] = [
  {
    level: 1,
    name: 'Universal',
    descriptor: 'Children whose needs are met by universal services: school, GP, health visiting.',
    examples: 'Developing well; attends school; health needs met; family supported by friends and community.',
    response: 'Universal services. No referral needed.',
  },
  {
    level: 2,
    name: 'Additional needs',
    descriptor: 'Children with additional needs that one agency can meet, perhaps with advice.',
    examples: 'Falling attendance; early signs of anxiety; parents struggling with routines; low-level behaviour concerns.',
    response: 'Single-agency support; consult the school-based social worker or early help team for advice.',
  },
  {
    level: 3,
    name: 'Complex needs (early help or child in need)',
    descriptor: 'Children whose needs are complex and need a coordinated multi-agency response.',
    examples: 'Persistent neglect concerns; domestic abuse in the home without immediate risk; missing episodes; emerging exploitation.',
    response: 'Early help with a lead practitioner and a team around the child, or a child and family assessment (s17).',
  },
  {
    level: 4,
    name: 'Acute: significant harm',
    descriptor: 'Children who are suffering, or likely to suffer, significant harm.',
    examples: 'Disclosure of abuse; unexplained injuries; child in immediate danger; serious exploitation.',
    response: 'Referral to the front door now; strategy discussion and section 47 enquiry; police when a crime may have been committed.',
  },
]

export async function insertPartnershipDefaults(db: Kysely<DB> | Transaction<DB>, partnershipId: string): Promise<void> {
  await db
    .insertInto('concern_category')
    .values(DEFAULT_CONCERN_CATEGORIES.map(([code, label], i) => ({ partnership_id: partnershipId, code, label, sort: i + 1 })))
    .onConflict((oc) => oc.doNothing())
    .execute()
  await db
    .insertInto('need_level')
    .values(DEFAULT_NEED_LEVELS.map((l) => ({ partnership_id: partnershipId, ...l })))
    .onConflict((oc) => oc.doNothing())
    .execute()
  await insertBankHolidays(db, partnershipId)
  await db
    .insertInto('signal_rule')
    .values(DEFAULT_SIGNAL_RULES.map((r) => ({ partnership_id: partnershipId, code: r.code, version: 1, name: r.name, definition: JSON.stringify(r.definition), created_at: new Date('2026-09-01T00:00:00Z') })))
    .onConflict((oc) => oc.doNothing())
    .execute()
  // the information-sharing agreement the partnership starts from (issue 6): changed on the agreement screen
  await insertDefaultSharingAgreement(db, partnershipId)
}
