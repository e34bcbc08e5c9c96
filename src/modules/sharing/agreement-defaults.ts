// The information-sharing agreement a partnership starts from (its administrators change it on the agreement
// screen). Rules name kinds of agency (null = any agency), so they hold whatever agencies join. Built from the
// statutory duties: every agency may tell children's social care what it knows to safeguard a child (Children Act
// 1989 s17 and s47, Children Act 2004 s11); social care shares back what partners need to protect and plan; police,
// health and schools share with each other for safeguarding, enquiries and plans; schools move a child's safeguarding
// file with them (KCSIE); anyone may tell the police what they need to prevent or detect crime against a child.
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { AgencyKind, DB } from '../../data/schema.ts'

export interface DefaultRule {
  from: AgencyKind | null
  to: AgencyKind | null
  categories: string[]
  purposes: string[]
  note: string
}

const CASEWORK = ['safeguarding', 'cp_enquiry', 'plan', 'request_answer']

export const DEFAULT_AGREEMENT_TITLE = 'Multi-agency information-sharing agreement for safeguarding children'

export const DEFAULT_AGREEMENT: DefaultRule[] = [
  {
    from: null,
    to: 'childrens_social_care',
    categories: ['identity', 'safeguarding', 'family', 'education', 'health', 'police', 'social_care'],
    purposes: ['safeguarding', 'early_help', 'referral', 'assessment', 'cp_enquiry', 'plan', 'request_answer'],
    note: 'Any agency tells children’s social care (the front door) what it knows to safeguard a child',
  },
  {
    from: 'childrens_social_care',
    to: null,
    categories: ['identity', 'safeguarding', 'family', 'social_care'],
    purposes: ['safeguarding', 'early_help', 'assessment', 'cp_enquiry', 'plan', 'request_answer'],
    note: 'Children’s social care shares with partners what they need to protect the child and plan support',
  },
  { from: 'school', to: 'police', categories: ['identity', 'safeguarding', 'family', 'education'], purposes: [...CASEWORK, 'crime_prevention'], note: 'Schools and the police' },
  { from: 'school', to: 'health', categories: ['identity', 'safeguarding', 'family', 'education'], purposes: [...CASEWORK, 'early_help', 'health_care'], note: 'Schools and health' },
  { from: 'school', to: 'school', categories: ['identity', 'safeguarding', 'family', 'education'], purposes: ['file_transfer', 'safeguarding', 'request_answer'], note: 'A child’s safeguarding file moves with them to their new school' },
  { from: 'police', to: 'school', categories: ['identity', 'safeguarding', 'family', 'police'], purposes: ['safeguarding', 'plan', 'request_answer'], note: 'Operation Encompass and police notices to schools' },
  { from: 'police', to: 'health', categories: ['identity', 'safeguarding', 'family', 'police'], purposes: [...CASEWORK, 'health_care'], note: 'Police and health' },
  { from: 'health', to: 'school', categories: ['identity', 'safeguarding', 'family', 'health'], purposes: [...CASEWORK, 'early_help'], note: 'Health and schools (school nursing)' },
  { from: 'health', to: 'police', categories: ['identity', 'safeguarding', 'family', 'health'], purposes: [...CASEWORK, 'crime_prevention'], note: 'Health and the police' },
  { from: 'health', to: 'health', categories: ['identity', 'safeguarding', 'family', 'health'], purposes: [...CASEWORK, 'health_care'], note: 'Between health services (GP, health visiting, school nursing)' },
  { from: null, to: 'police', categories: ['identity', 'safeguarding', 'family'], purposes: ['crime_prevention', 'safeguarding'], note: 'Anyone tells the police what they need to prevent or detect crime against a child' },
]

/** Inserts the default agreement (version 1) unless the partnership already has one. */
export async function insertDefaultSharingAgreement(db: Kysely<DB> | Transaction<DB>, partnershipId: string, at: Date = new Date('2026-09-01T00:00:00Z')): Promise<void> {
  const inserted = await db
    .insertInto('sharing_agreement')
    .values({ partnership_id: partnershipId, title: DEFAULT_AGREEMENT_TITLE, version: 1, effective_from: at.toISOString().slice(0, 10), review_due: null, updated_by: null, updated_at: at })
    .onConflict((oc) => oc.doNothing())
    .returning('partnership_id')
    .executeTakeFirst()
  if (!inserted) return
  await db
    .insertInto('sharing_agreement_rule')
    .values(
      DEFAULT_AGREEMENT.map((r) => ({
        id: randomUUID(),
        partnership_id: partnershipId,
        from_agency_kind: r.from,
        from_agency_id: null,
        to_agency_kind: r.to,
        to_agency_id: null,
        categories: r.categories,
        purposes: r.purposes,
        note: r.note,
        added_in_version: 1,
        effective_from: at,
        created_by: null,
        created_at: at,
      })),
    )
    .execute()
}
