// The deterministic demo generator: one partnership ("Northshire") with schools, children's social care (front
// door and two teams), police and health; ~30 practitioners; children with relationships, families and entries.
// `children` scales it up to the benchmark "county". Synthetic data only.
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Insertable } from 'kysely'
import type { Role } from '../access/policy.ts'
import { hashPassword } from '../platform/auth/passwords.ts'
import { base32, nhsCheckDigit, prng, stableUuid } from './ids.ts'
import { CP_CATEGORIES, type DB, type AgencyKind, type RelationshipType, type Visibility, type Significance } from './schema.ts'
import { writeAudit } from './audit.ts'
import { insertPartnershipDefaults } from './partnership-defaults.ts'

export const DEMO_PASSWORD = 'Northshire-demo-2026'
export const DEMO_PARTNERSHIP_CODE = 'northshire'

export interface DemoPractitioner {
  key: string
  email: string
  name: string
  memberships: { agency: string; team?: string; role: Role }[]
  totpSecret: string
  serves?: string[]
}

export function demoTotpSecret(email: string): string {
  return base32(createHash('sha256').update(`teamaround-demo-totp:${email}`).digest().subarray(0, 20))
}

const AGENCIES: { key: string; name: string; kind: AgencyKind; description: string; phone: string; email: string; startOfDay?: string; teams: { key: string; name: string; frontDoor?: boolean; outOfHours?: boolean; description: string; phone: string }[] }[] = [
  {
    key: 'csc',
    name: "Northshire Children's Social Care",
    kind: 'childrens_social_care',
    description: "The local authority's children's services: the front door (MASH), assessment and child protection teams.",
    phone: '01632 960 100',
    email: 'childrens.services@northshire.example',
    teams: [
      { key: 'front-door', name: 'Front Door (MASH)', frontDoor: true, description: 'Receives every contact and referral about a child, decides the response within one working day, and tells the referrer why.', phone: '01632 960 111' },
      { key: 'north', name: 'Assessment and Intervention Team North', description: 'Child and family assessments (s17), child in need and child protection work in the north of the county.', phone: '01632 960 120' },
      { key: 'south', name: 'Assessment and Intervention Team South', description: 'Child and family assessments (s17), child in need and child protection work in the south of the county.', phone: '01632 960 130' },
      { key: 'ig', name: 'Information Governance', description: 'Access reports, break-glass reviews, subject access and retention.', phone: '01632 960 190' },
      { key: 'edt', name: 'Emergency Duty Team', outOfHours: true, description: 'Out-of-hours social work: contacts that arrive outside working hours, weekends and bank holidays.', phone: '01632 960 199' },
      { key: 'lado', name: 'LADO service', description: 'The local authority designated officer: allegations against adults who work with children.', phone: '01632 960 180' },
    ],
  },
  {
    key: 'police',
    name: 'Northshire Police',
    kind: 'police',
    description: 'Public protection: MASH police desk, missing persons and child exploitation.',
    phone: '101',
    email: 'public.protection@northshire-police.example',
    teams: [
      { key: 'mash-desk', name: 'MASH Police Desk', description: 'Police researchers and officers in the MASH: checks, public protection notices, Operation Encompass.', phone: '01632 960 200' },
      { key: 'exploitation', name: 'Missing and Exploited Children Team', description: 'Missing episodes, return home interviews with partners, child exploitation (MACE).', phone: '01632 960 210' },
    ],
  },
  {
    key: 'health',
    name: 'Northshire Community Health NHS Trust',
    kind: 'health',
    description: 'School nursing and health visiting.',
    phone: '01632 960 300',
    email: 'safeguarding@northshire-health.example',
    teams: [
      { key: 'school-nursing', name: 'School Nursing', description: 'Health support for school-age children; safeguarding health assessments.', phone: '01632 960 310' },
      { key: 'health-visiting', name: 'Health Visiting', description: 'Health visitors for children under five and their families.', phone: '01632 960 320' },
    ],
  },
  {
    key: 'gp',
    name: 'Riverside Medical Practice',
    kind: 'health',
    description: 'General practice.',
    phone: '01632 960 400',
    email: 'reception@riverside-gp.example',
    teams: [{ key: 'clinicians', name: 'Clinicians', description: 'GPs and practice nurses.', phone: '01632 960 401' }],
  },
  {
    key: 'brookside',
    name: 'Brookside Primary School',
    kind: 'school',
    description: 'Primary school, ages 4 to 11.',
    phone: '01632 960 501',
    email: 'office@brookside.example',
    startOfDay: '08:45',
    teams: [{ key: 'safeguarding', name: 'Safeguarding team', description: 'The designated safeguarding lead and deputies.', phone: '01632 960 502' }],
  },
  {
    key: 'academy',
    name: 'Northshire Academy',
    kind: 'school',
    description: 'Secondary school, ages 11 to 16.',
    phone: '01632 960 601',
    email: 'office@northshire-academy.example',
    startOfDay: '08:30',
    teams: [{ key: 'safeguarding', name: 'Safeguarding team', description: 'The designated safeguarding lead and deputies.', phone: '01632 960 602' }],
  },
  {
    key: 'stannes',
    name: "St Anne's CE Primary School",
    kind: 'school',
    description: 'Primary school, ages 4 to 11.',
    phone: '01632 960 701',
    email: 'office@stannes.example',
    startOfDay: '08:50',
    teams: [{ key: 'safeguarding', name: 'Safeguarding team', description: 'The designated safeguarding lead and deputies.', phone: '01632 960 702' }],
  },
]

const P = (key: string, name: string, memberships: DemoPractitioner['memberships'], serves?: string[]): Omit<DemoPractitioner, 'totpSecret' | 'email'> & { serves?: string[] } => ({
  key,
  name,
  memberships,
  ...(serves ? { serves } : {}),
})

const PEOPLE = [
  P('teacher.brookside', 'Amelia Hart', [{ agency: 'brookside', role: 'teacher' }]),
  P('head.brookside', 'Margaret Ellis', [{ agency: 'brookside', team: 'safeguarding', role: 'headteacher' }]),
  P('teacher2.brookside', 'Tom Fielding', [{ agency: 'brookside', role: 'teacher' }]),
  P('dsl.brookside', 'Priya Shah', [
    { agency: 'brookside', team: 'safeguarding', role: 'dsl' },
    { agency: 'brookside', team: 'safeguarding', role: 'senco' },
  ]),
  P('deputy.brookside', 'Owen Price', [{ agency: 'brookside', team: 'safeguarding', role: 'deputy_dsl' }]),
  P('pastoral.brookside', 'Grace Mensah', [{ agency: 'brookside', role: 'pastoral_worker' }]),
  P('admin.brookside', 'Helen Ward', [{ agency: 'brookside', role: 'agency_admin' }]),
  P('teacher.academy', 'Daniel Brooks', [{ agency: 'academy', role: 'teacher' }]),
  P('dsl.academy', 'Fatima Khan', [{ agency: 'academy', team: 'safeguarding', role: 'dsl' }]),
  P('deputy.academy', 'Liam Walsh', [{ agency: 'academy', team: 'safeguarding', role: 'deputy_dsl' }]),
  P('senco.academy', 'Rachel Green', [{ agency: 'academy', role: 'senco' }]),
  P('teacher.stannes', 'Chloe Adams', [{ agency: 'stannes', role: 'teacher' }]),
  P('dsl.stannes', 'Samuel Okafor', [{ agency: 'stannes', team: 'safeguarding', role: 'dsl' }]),
  P('pastoral.stannes', 'Nadia Rahman', [{ agency: 'stannes', role: 'pastoral_worker' }]),
  P('frontdoor', 'Joanne Clarke', [{ agency: 'csc', team: 'front-door', role: 'front_door_social_worker' }]),
  P('frontdoor2', 'Marcus Reid', [{ agency: 'csc', team: 'front-door', role: 'front_door_social_worker' }]),
  P('edt', 'Ola Nowak', [{ agency: 'csc', team: 'edt', role: 'front_door_social_worker' }]),
  P('lado', 'Andrew Stone', [{ agency: 'csc', team: 'lado', role: 'lado' }]),
  P('manager.frontdoor', 'Elaine Foster', [{ agency: 'csc', team: 'front-door', role: 'team_manager' }]),
  P('sw.north', 'Ben Carter', [{ agency: 'csc', team: 'north', role: 'social_worker' }]),
  P('sw2.north', 'Aisha Begum', [{ agency: 'csc', team: 'north', role: 'social_worker' }]),
  P('manager.north', 'Kate Turner', [{ agency: 'csc', team: 'north', role: 'team_manager' }]),
  P('sw.south', 'Ryan Hughes', [{ agency: 'csc', team: 'south', role: 'social_worker' }]),
  P('manager.south', 'Sophie Bennett', [{ agency: 'csc', team: 'south', role: 'team_manager' }]),
  P('ssw', 'Lucy Morgan', [{ agency: 'csc', team: 'north', role: 'school_social_worker' }], ['brookside', 'academy']),
  P('admin.csc', 'Paul Edwards', [{ agency: 'csc', role: 'agency_admin' }]),
  P('ig', 'Nina Patel', [{ agency: 'csc', team: 'ig', role: 'ig_officer' }]),
  // a second information governance officer: subject access releases are approved by a different IG officer
  P('ig2', 'Samir Haddad', [{ agency: 'csc', team: 'ig', role: 'ig_officer' }]),
  P('partnership.admin', 'George Allen', [{ agency: 'csc', role: 'partnership_admin' }]),
  P('police.mash', 'DC Mark Evans', [{ agency: 'police', team: 'mash-desk', role: 'police_officer' }]),
  P('police.missing', 'PC Hannah Lee', [{ agency: 'police', team: 'exploitation', role: 'police_officer' }]),
  P('nurse', 'Claire Dawson', [{ agency: 'health', team: 'school-nursing', role: 'school_nurse' }]),
  P('hv', 'Joy Adeyemi', [{ agency: 'health', team: 'health-visiting', role: 'health_visitor' }]),
  P('gp', 'Dr Simon Wright', [{ agency: 'gp', team: 'clinicians', role: 'gp' }]),
]

export function demoPractitioners(): DemoPractitioner[] {
  return PEOPLE.map((p) => {
    const email = `${p.key}@northshire.example`
    return { ...p, email, totpSecret: demoTotpSecret(email) }
  })
}

const GIVEN_F = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Ivy', 'Lily', 'Freya', 'Grace', 'Ella', 'Sophia', 'Evie', 'Aisha', 'Zara', 'Maya', 'Ruby', 'Poppy', 'Hannah', 'Leah', 'Nia', 'Amara', 'Layla', 'Chloe', 'Jessica', 'Sienna']
const GIVEN_M = ['Oliver', 'George', 'Noah', 'Arthur', 'Leo', 'Harry', 'Oscar', 'Jack', 'Charlie', 'Jacob', 'Muhammad', 'Theo', 'Freddie', 'Alfie', 'Ethan', 'Kai', 'Reuben', 'Kofi', 'Tyler', 'Dylan', 'Mason', 'Lewis', 'Ibrahim', 'Callum', 'Jayden']
const FAMILY = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Robinson', 'Wright', 'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke', 'Khan', 'Ahmed', 'Nowak', 'Kowalski', 'Okonkwo', 'Mensah', 'Murphy', "O'Brien", 'Hughes', 'Edwards', 'Ali', 'Singh', 'Martin', 'Moore', 'Lewis', 'Kaur', 'Begum', 'Hussain', 'Campbell']
const STREETS = ['Mill Lane', 'Church Road', 'Station Road', 'Victoria Street', 'Park Avenue', 'Queens Road', 'Orchard Close', 'Meadow Way', 'Riverside', 'High Street']
const TOWNS = ['Northford', 'Eastbridge', 'Kingsmere', 'Ashby Vale']
const ETHNICITY = ['White British', 'White British', 'White British', 'White Other', 'Mixed White and Black Caribbean', 'Asian British Pakistani', 'Asian British Indian', 'Black British African', 'Asian British Bangladeshi', 'Any other ethnic group']
const LANGUAGE = ['English', 'English', 'English', 'English', 'Polish', 'Urdu', 'Punjabi', 'Bengali', 'Romanian', 'Somali']
const CATEGORIES = ['neglect', 'emotional_abuse', 'physical_abuse', 'domestic_abuse', 'attendance', 'mental_health', 'online_safety', 'child_criminal_exploitation', 'missing', 'self_harm']

export interface SeedOptions {
  children?: number
  seed?: number
  /** progress callback (children inserted so far) */
  onProgress?: (done: number, total: number) => void
}

export interface SeedResult {
  created: boolean
  partnershipId: string
  children: number
  entries: number
  practitioners: number
}

/** Seeds the demo partnership unless it already exists. Runs as the database owner (system), audited as one row. */
export async function seedDemo(db: Kysely<DB>, opts: SeedOptions = {}): Promise<SeedResult> {
  const childrenWanted = opts.children ?? 200
  const rand = prng(opts.seed ?? 20261122)
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!
  const partnershipId = stableUuid(`partnership:${DEMO_PARTNERSHIP_CODE}`)
  const existing = await db.selectFrom('partnership').select('id').where('code', '=', DEMO_PARTNERSHIP_CODE).executeTakeFirst()
  if (existing) return { created: false, partnershipId, children: 0, entries: 0, practitioners: 0 }
  const created_at = new Date('2026-09-01T08:00:00Z')
  const id = (k: string) => stableUuid(`${DEMO_PARTNERSHIP_CODE}:${k}`)
  const agencyId = (k: string) => id(`agency:${k}`)
  const teamId = (a: string, t: string) => id(`team:${a}:${t}`)
  const practitioners = demoPractitioners()
  const passwordHash = await hashPassword(DEMO_PASSWORD)

  await db.transaction().execute(async (trx) => {
    await trx.insertInto('partnership').values({ id: partnershipId, partnership_id: partnershipId, name: 'Northshire Safeguarding Children Partnership', code: DEMO_PARTNERSHIP_CODE, created_at }).execute()
    await insertPartnershipDefaults(trx, partnershipId)
    // the 2026-27 school year for the demo schools (term dates are data, per school)
    for (const a of AGENCIES) {
      await trx
        .insertInto('agency')
        .values({ id: agencyId(a.key), partnership_id: partnershipId, name: a.name, kind: a.kind, description: a.description, phone: a.phone, email: a.email, address: null, school_start_of_day: a.startOfDay ?? null, created_at })
        .execute()
      if (a.kind === 'school') {
        const terms: [string, string, string][] = [
          ['Autumn 1', '2026-09-02', '2026-10-23'],
          ['Autumn 2', '2026-11-02', '2026-12-18'],
          ['Spring 1', '2027-01-05', '2027-02-12'],
          ['Spring 2', '2027-02-22', '2027-03-26'],
          ['Summer 1', '2027-04-12', '2027-05-28'],
          ['Summer 2', '2027-06-07', '2027-07-21'],
        ]
        await trx.insertInto('school_term').values(terms.map(([name, s, e]) => ({ id: id(`term:${a.key}:${name}`), partnership_id: partnershipId, school_agency_id: agencyId(a.key), name, starts_on: s, ends_on: e }))).execute()
        await trx.insertInto('school_closure').values({ id: id(`closure:${a.key}:inset`), partnership_id: partnershipId, school_agency_id: agencyId(a.key), on_date: '2026-11-27', reason: 'Staff training (INSET) day' }).execute()
      }
      for (const t of a.teams) {
        await trx
          .insertInto('team')
          .values({ id: teamId(a.key, t.key), partnership_id: partnershipId, agency_id: agencyId(a.key), name: t.name, is_front_door: t.frontDoor ?? false, is_out_of_hours: t.outOfHours ?? false, description: t.description, phone: t.phone, email: null, created_at })
          .execute()
      }
    }
    for (const p of practitioners) {
      const [given, ...rest] = p.name.split(' ')
      await trx
        .insertInto('practitioner')
        .values({
          id: id(`practitioner:${p.key}`),
          partnership_id: partnershipId,
          email: p.email,
          given_name: given!,
          family_name: rest.join(' '),
          job_title: p.memberships.map((m) => m.role).join(', '),
          phone: '01632 960 ' + String(800 + practitioners.indexOf(p)),
          password_hash: passwordHash,
          totp_secret: p.totpSecret,
          totp_enrolled_at: created_at,
          created_at,
        })
        .execute()
      for (const [i, m] of p.memberships.entries()) {
        const mid = id(`membership:${p.key}:${i}`)
        await trx
          .insertInto('membership')
          .values({ id: mid, partnership_id: partnershipId, practitioner_id: id(`practitioner:${p.key}`), agency_id: agencyId(m.agency), team_id: m.team ? teamId(m.agency, m.team) : null, role: m.role, starts_at: created_at, ends_at: null, created_at })
          .execute()
        for (const s of p.serves ?? []) {
          await trx.insertInto('membership_school').values({ partnership_id: partnershipId, membership_id: mid, school_agency_id: agencyId(s) }).execute()
        }
      }
    }
  })

  const membershipOf = (key: string, i = 0) => id(`membership:${key}:${i}`)
  const schools = ['brookside', 'academy', 'stannes']
  const today = new Date('2026-11-20T12:00:00Z')
  let childCount = 0
  let entryCount = 0
  const BATCH = 500
  let buf = emptyBuffers()

  const flush = async () => {
    await db.transaction().execute(async (trx) => {
      const chunks = <T,>(rows: T[], n: number) => Array.from({ length: Math.ceil(rows.length / n) }, (_, i) => rows.slice(i * n, i * n + n))
      for (const c of chunks(buf.child, 1000)) if (c.length) await trx.insertInto('child').values(c).execute()
      for (const c of chunks(buf.names, 2000)) if (c.length) await trx.insertInto('child_name').values(c).execute()
      for (const c of chunks(buf.addresses, 2000)) if (c.length) await trx.insertInto('child_address').values(c).execute()
      for (const c of chunks(buf.family, 2000)) if (c.length) await trx.insertInto('family_member').values(c).execute()
      for (const c of chunks(buf.relationships, 2000)) if (c.length) await trx.insertInto('relationship').values(c).execute()
      for (const c of chunks(buf.entries, 1500)) if (c.length) await trx.insertInto('entry').values(c).execute()
      for (const c of chunks(buf.tacs, 1000)) if (c.length) await trx.insertInto('tac').values(c).execute()
      for (const c of chunks(buf.tacChildren, 2000)) if (c.length) await trx.insertInto('tac_child').values(c).execute()
      for (const c of chunks(buf.tacMembers, 2000)) if (c.length) await trx.insertInto('tac_member').values(c).execute()
      for (const c of chunks(buf.levelChanges, 2000)) if (c.length) await trx.insertInto('level_change').values(c).execute()
      for (const c of chunks(buf.meetings, 1000)) if (c.length) await trx.insertInto('meeting').values(c).execute()
      for (const c of chunks(buf.cpPlans, 1000)) if (c.length) await trx.insertInto('cp_plan').values(c).execute()
    })
    buf = emptyBuffers()
  }

  let familyNo = 0
  while (childCount < childrenWanted) {
    familyNo++
    const familyName = pick(FAMILY)
    const siblings = Math.min(childrenWanted - childCount, 1 + Math.floor(rand() * rand() * 4))
    const town = pick(TOWNS)
    const street = `${1 + Math.floor(rand() * 120)} ${pick(STREETS)}`
    const postcode = `NS${1 + Math.floor(rand() * 9)} ${Math.floor(rand() * 9)}${String.fromCharCode(65 + Math.floor(rand() * 26))}${String.fromCharCode(65 + Math.floor(rand() * 26))}`
    const refuge = rand() < 0.03
    const mother = `${pick(GIVEN_F)} ${familyName}`
    const father = `${pick(GIVEN_M)} ${familyName}`
    const ids: string[] = []
    const concernLevel = rand() // higher: more agencies involved
    for (let s = 0; s < siblings; s++) {
      const n = childCount++
      const cid = id(`child:${n}`)
      ids.push(cid)
      const female = rand() < 0.5
      const unborn = s === 0 && siblings > 1 && rand() < 0.04
      const ageDays = unborn ? 0 : Math.floor(200 + rand() * 16 * 365)
      const dob = new Date(today.getTime() - ageDays * 86_400_000).toISOString().slice(0, 10)
      const edd = new Date(today.getTime() + (30 + Math.floor(rand() * 150)) * 86_400_000).toISOString().slice(0, 10)
      const age = ageDays / 365
      const cin = concernLevel > 0.85
      const cp = concernLevel > 0.95
      const lac = !cp && concernLevel > 0.93
      buf.child.push({
        id: cid,
        partnership_id: partnershipId,
        given_name: unborn ? 'Unborn' : female ? pick(GIVEN_F) : pick(GIVEN_M),
        family_name: familyName,
        date_of_birth: unborn ? null : dob,
        expected_date_of_birth: unborn ? edd : null,
        sex: unborn ? 'unknown' : female ? 'female' : 'male',
        nhs_number: nhsNumber(rand),
        upn: !unborn && age >= 4 ? `N${String(8800000000 + n).padStart(12, '0')}` : null,
        ethnicity: pick(ETHNICITY),
        first_language: pick(LANGUAGE),
        interpreter_needed: rand() < 0.04,
        disability: rand() < 0.06 ? pick(['Autism', 'Hearing impairment', 'Cerebral palsy', 'ADHD']) : null,
        sen_status: rand() < 0.12 ? (rand() < 0.3 ? 'ehcp' : 'sen_support') : 'none',
        child_in_need: cin,
        child_protection_plan: cp,
        looked_after: lac,
        created_at,
      })
      if (rand() < 0.08) buf.names.push({ id: id(`child-name:${n}`), partnership_id: partnershipId, child_id: cid, kind: 'preferred', given_name: pick(female ? GIVEN_F : GIVEN_M), family_name: familyName })
      buf.addresses.push({
        id: id(`address:${n}:0`),
        partnership_id: partnershipId,
        child_id: cid,
        line1: street,
        line2: null,
        town,
        postcode,
        from_date: '2024-01-01',
        to_date: refuge ? '2026-10-01' : null,
        confidential: false,
        confidential_reason: null,
        visible_to_roles: null,
      })
      if (refuge) {
        buf.addresses.push({
          id: id(`address:${n}:1`),
          partnership_id: partnershipId,
          child_id: cid,
          line1: 'Refuge address held by the allocated social worker',
          line2: null,
          town: 'Confidential',
          postcode: null,
          from_date: '2026-10-01',
          to_date: null,
          confidential: true,
          confidential_reason: 'Family in a refuge after domestic abuse',
          visible_to_roles: ['social_worker', 'team_manager', 'front_door_social_worker'],
        })
      }
      buf.family.push(
        { id: id(`family:${n}:m`), partnership_id: partnershipId, child_id: cid, related_child_id: null, name: mother, relationship: 'Mother', parental_responsibility: true, same_household: true, phone: '07700 900' + String(100 + (n % 900)).padStart(3, '0') },
        { id: id(`family:${n}:f`), partnership_id: partnershipId, child_id: cid, related_child_id: null, name: father, relationship: 'Father', parental_responsibility: rand() < 0.7, same_household: rand() < 0.5, phone: null },
      )
      // relationships
      const rel = (k: string, type: RelationshipType, holder: { agency?: string; team?: string; membership?: string }, reason: string, source = 'demo data') =>
        buf.relationships.push({
          id: id(`rel:${n}:${k}`),
          partnership_id: partnershipId,
          child_id: cid,
          type,
          holder_agency_id: holder.agency ?? null,
          holder_team_id: holder.team ?? null,
          holder_membership_id: holder.membership ?? null,
          starts_at: created_at,
          ends_at: null,
          source,
          reason,
          created_by_membership_id: null,
          created_at,
        })
      let school: string | null = null
      if (!unborn && age >= 4 && age < 16) {
        school = age >= 11 ? 'academy' : schools[n % 2 === 0 ? 0 : 2]!
        rel('school', 'pupil_at', { agency: agencyId(school) }, 'Pupil on roll', 'school census')
      }
      if (unborn || age < 5) rel('hv', 'agency_record', { agency: agencyId('health') }, 'Health visiting caseload', 'health record')
      if (school && concernLevel > 0.6) rel('nurse', 'agency_record', { agency: agencyId('health') }, 'School nursing record', 'health record')
      if (concernLevel > 0.75) rel('gp', 'agency_record', { agency: agencyId('gp') }, 'Registered patient with safeguarding flag', 'GP record')
      if (concernLevel > 0.8) rel('police', 'agency_record', { agency: agencyId('police') }, 'Named in a police incident', 'police record')
      if (cin || cp || lac) {
        rel('csc', 'agency_record', { agency: agencyId('csc') }, 'Open to children’s social care', 'social care record')
        const sw = n % 3 === 0 ? 'sw.south' : n % 3 === 1 ? 'sw.north' : 'sw2.north'
        rel('allocated', 'allocated_worker', { membership: membershipOf(sw) }, 'Allocated by the team manager')
        // the team around the child, led by the allocated social worker: members hold their access through it
        const tacId = id(`tac:${n}`)
        const level = cp ? 'child_protection' : 'child_in_need'
        buf.tacs.push({ id: tacId, partnership_id: partnershipId, level, lead_membership_id: membershipOf(sw), started_by_membership_id: membershipOf(sw), started_at: created_at, reason: 'Open to children’s social care', created_at })
        buf.tacChildren.push({ partnership_id: partnershipId, tac_id: tacId, child_id: cid })
        buf.levelChanges.push({ id: id(`tac:${n}:start`), partnership_id: partnershipId, tac_id: tacId, from_level: null, to_level: level, kind: 'start', reason: 'Open to children’s social care', decided_by: membershipOf(sw), decided_at: created_at })
        const member = (k: string, key: string, teamRole: string) => {
          buf.tacMembers.push({ id: id(`tac:${n}:member:${k}`), partnership_id: partnershipId, tac_id: tacId, membership_id: membershipOf(key), team_role: teamRole, status: 'joined', invited_by: membershipOf(sw), invited_at: created_at, joined_at: created_at })
        }
        member('lead', sw, 'Lead practitioner (allocated social worker)')
        if (cp) {
          // the plan agreed at an initial conference held two weeks after the team started (no random draw, so the
          // rest of the demo data is unchanged)
          const icpcAt = new Date(created_at.getTime() + 14 * 86_400_000)
          buf.meetings.push({ id: id(`tac:${n}:icpc`), partnership_id: partnershipId, tac_id: tacId, kind: 'icpc', title: 'Initial child protection conference', scheduled_at: icpcAt, mode: 'in_person', place: 'Northshire County Hall', chair_membership_id: membershipOf('manager.north'), status: 'held', held_at: icpcAt, created_by: membershipOf(sw), created_at })
          buf.cpPlans.push({ id: id(`tac:${n}:cp-plan`), partnership_id: partnershipId, tac_id: tacId, child_id: cid, enquiry_id: null, icpc_meeting_id: id(`tac:${n}:icpc`), category: CP_CATEGORIES[n % CP_CATEGORIES.length]!, started_at: icpcAt, created_at: icpcAt })
        }
        if (school) {
          member('dsl', `dsl.${school}`, 'Designated safeguarding lead')
          rel('tac-dsl', 'team_member', { membership: membershipOf(`dsl.${school}`) }, 'Member of the team around the child', `tac:${tacId}`)
        }
        if (concernLevel > 0.9) {
          member('police', 'police.missing', 'Police: missing and exploited children')
          rel('tac-police', 'team_member', { membership: membershipOf('police.missing') }, 'Member of the team around the child', `tac:${tacId}`)
        }
      } else if (concernLevel > 0.8 && concernLevel <= 0.85) {
        rel('fd', 'front_door_contact', { team: teamId('csc', 'front-door') }, 'Open contact at the front door')
        rel('fd-police', 'front_door_contact', { team: teamId('police', 'mash-desk') }, 'MASH checks requested')
      }
      // entries
      const nEntries = concernLevel > 0.6 ? 1 + Math.floor(concernLevel * concernLevel * 6 * rand()) + (cp ? 4 : 0) : rand() < 0.15 ? 1 : 0
      for (let e = 0; e < nEntries; e++) {
        const daysAgo = Math.floor(rand() * 300)
        const occurred = new Date(today.getTime() - daysAgo * 86_400_000 - Math.floor(rand() * 8) * 3_600_000)
        const kind = school && rand() < 0.5 ? 'school' : pick(['police', 'health', 'csc'])
        const t = entryTemplate(kind, pick(CATEGORIES), rand)
        const author =
          kind === 'school' ? membershipOf(rand() < 0.5 ? `dsl.${school}` : `teacher.${school}`) : kind === 'police' ? membershipOf('police.mash') : kind === 'health' ? membershipOf('nurse') : membershipOf('frontdoor')
        const authorTeam = kind === 'school' ? teamId(school!, 'safeguarding') : kind === 'police' ? teamId('police', 'mash-desk') : kind === 'health' ? teamId('health', 'school-nursing') : teamId('csc', 'front-door')
        entryCount++
        buf.entries.push({
          id: id(`entry:${n}:${e}`),
          partnership_id: partnershipId,
          child_id: cid,
          agency_record_id: null,
          type: t.type,
          category: t.category,
          occurred_at: occurred,
          occurred_time_known: true,
          recorded_at: new Date(occurred.getTime() + 3_600_000),
          author_membership_id: author,
          author_team_id: authorTeam,
          source_agency_id: agencyId(kind === 'school' ? school! : kind),
          significance: t.significance,
          summary: t.summary,
          detail_type: null,
          detail_id: null,
          visibility: t.visibility,
          restricted_agency_ids: t.visibility === 'restricted' ? [agencyId('csc'), agencyId('police')] : [],
          restricted_roles: [],
          addressed_to_membership_id: null,
          supersedes_entry_id: null,
        })
      }
    }
    // siblings know each other
    for (const a of ids) for (const b of ids) if (a !== b) buf.family.push({ id: stableUuid(`sib:${a}:${b}`), partnership_id: partnershipId, child_id: a, related_child_id: b, name: 'Sibling', relationship: 'Sibling', parental_responsibility: false, same_household: true, phone: null })
    if (buf.child.length >= BATCH) {
      await flush()
      opts.onProgress?.(childCount, childrenWanted)
    }
  }
  await flush()
  opts.onProgress?.(childCount, childrenWanted)
  await seedDemoInformationRequests(db, partnershipId)
  await writeAudit(db, { kind: 'system', partnershipId, job: 'seed', requestId: 'seed' }, new Date(), {
    action: 'demo.seed',
    outcome: 'success',
    details: { children: childCount, entries: entryCount, families: familyNo },
  })
  await sql`analyze`.execute(db).catch(() => undefined)
  return { created: true, partnershipId, children: childCount, entries: entryCount, practitioners: practitioners.length }
}

function emptyBuffers() {
  return {
    child: [] as Insertable<DB['child']>[],
    names: [] as Insertable<DB['child_name']>[],
    addresses: [] as Insertable<DB['child_address']>[],
    family: [] as Insertable<DB['family_member']>[],
    relationships: [] as Insertable<DB['relationship']>[],
    entries: [] as Insertable<DB['entry']>[],
    tacs: [] as Insertable<DB['tac']>[],
    tacChildren: [] as Insertable<DB['tac_child']>[],
    tacMembers: [] as Insertable<DB['tac_member']>[],
    levelChanges: [] as Insertable<DB['level_change']>[],
    meetings: [] as Insertable<DB['meeting']>[],
    cpPlans: [] as Insertable<DB['cp_plan']>[],
  }
}

function entryTemplate(kind: string, category: string, rand: () => number): { type: string; category: string; significance: Significance; visibility: Visibility; summary: string } {
  const sig: Significance = rand() < 0.5 ? 'medium' : rand() < 0.7 ? 'low' : rand() < 0.85 ? 'high' : 'critical'
  const label = category.replace(/_/g, ' ')
  switch (kind) {
    case 'school':
      return rand() < 0.6
        ? { type: 'concern', category, significance: sig, visibility: 'agency', summary: `Concern logged by school staff: ${label}.` }
        : { type: 'dsl_action', category, significance: sig, visibility: 'team', summary: `DSL reviewed concerns (${label}) and spoke to parents; monitoring.` }
    case 'police':
      return { type: 'incident', category, significance: sig, visibility: rand() < 0.2 ? 'restricted' : 'team', summary: `Police incident involving the household (${label}).` }
    case 'health':
      return { type: 'health_attendance', category, significance: sig, visibility: rand() < 0.3 ? 'agency' : 'team', summary: `Health contact: ${rand() < 0.5 ? 'missed appointment' : 'attendance'} (${label}).` }
    default:
      return { type: 'decision', category, significance: sig, visibility: rand() < 0.4 ? 'front_door' : 'team', summary: `Front door decision after a contact (${label}): ${rand() < 0.5 ? 'early help' : 'advice and information'}.` }
  }
}

/** A syntactically valid (mod-11) NHS number in the 999 test range. */
function nhsNumber(rand: () => number): string {
  for (;;) {
    const nine = [9, 9, 9, ...Array.from({ length: 6 }, () => Math.floor(rand() * 10))].join('')
    const check = nhsCheckDigit(nine)
    if (check === null) continue
    return `${nine}${check}`
  }
}

/**
 * Demo information requests (issue 6): the front door asked the police and the school nursing service what they know
 * about a child with an open contact — the police request still open (it is overdue by the time anyone looks, so the
 * scheduler escalates it), the health one answered with an entry, its sharing decision and the requester told.
 */
async function seedDemoInformationRequests(db: Kysely<DB>, partnershipId: string): Promise<void> {
  const id = (k: string) => stableUuid(`${DEMO_PARTNERSHIP_CODE}:${k}`)
  const membershipOf = (key: string) => id(`membership:${key}:0`)
  const agencyId = (k: string) => id(`agency:${k}`)
  const frontDoorTeam = id('team:csc:front-door')
  const child = await db
    .selectFrom('relationship')
    .select('child_id')
    .where('partnership_id', '=', partnershipId)
    .where('type', '=', 'front_door_contact')
    .where('holder_team_id', '=', frontDoorTeam)
    .orderBy('child_id')
    .executeTakeFirst()
  if (!child) return
  const childId = child.child_id
  const askedAt = new Date('2026-11-20T10:30:00Z') // Friday 20 November 2026, 10:30 London
  const openDue = new Date('2026-11-25T17:00:00Z') // three working days: Wednesday 25 November, 17:00
  const answeredAt = new Date('2026-11-23T14:10:00Z')
  const batch = id('information-request-batch:1')
  const toPolice = id('information-request:police')
  const toHealth = id('information-request:health')
  const requester = membershipOf('frontdoor')
  const question = 'A contact says the family moved here from another county last month. What do you know about the household, especially any domestic abuse or missing episodes in the last 12 months?'
  const shared = 'Seen by the school nurse on 12 November 2026 for a health review: weight below the expected range; mother did not attend the follow-up appointment.'
  const decisionId = id('sharing-decision:information-request:health')
  await db.transaction().execute(async (trx) => {
    const base = { partnership_id: partnershipId, child_id: childId, batch_id: batch, requested_by: requester, requester_agency_id: agencyId('csc'), requester_team_id: frontDoorTeam, referral_id: null, question, urgency: 'standard' as const, asked_at: askedAt, due_at: openDue, created_at: askedAt }
    await trx
      .insertInto('information_request')
      .values([
        { ...base, id: toPolice, to_agency_id: agencyId('police'), escalate_to_membership_id: membershipOf('manager.frontdoor') },
        { ...base, id: toHealth, to_agency_id: agencyId('health'), escalate_to_membership_id: membershipOf('manager.frontdoor'), status: 'answered', responded_by: membershipOf('nurse'), responded_at: answeredAt, nothing_known: false, sharing_decision_id: decisionId, row_version: 2 },
      ])
      .execute()
    await trx
      .insertInto('clock')
      .values([
        { id: id('clock:information-request:police'), partnership_id: partnershipId, rule: 'IR', child_id: childId, subject_type: 'information_request', subject_id: toPolice, started_at: askedAt, due_at: openDue, escalate_to_membership_id: membershipOf('manager.frontdoor'), created_at: askedAt },
        { id: id('clock:information-request:health'), partnership_id: partnershipId, rule: 'IR', child_id: childId, subject_type: 'information_request', subject_id: toHealth, started_at: askedAt, due_at: openDue, state: 'met', met_at: answeredAt, escalate_to_membership_id: membershipOf('manager.frontdoor'), created_at: askedAt },
      ])
      .execute()
    const entry = (k: string, e: { type: string; summary: string; at: Date; author: string; team: string; agency: string; visibility: Visibility; significance: Significance; detailType: string; detailId: string; addressedTo?: string; timeKnown?: boolean; occurred?: Date }) => ({
      id: id(`entry:information-request:${k}`),
      partnership_id: partnershipId,
      child_id: childId,
      agency_record_id: null,
      type: e.type,
      category: null,
      occurred_at: e.occurred ?? e.at,
      occurred_time_known: e.timeKnown ?? true,
      recorded_at: e.at,
      author_membership_id: e.author,
      author_team_id: e.team,
      source_agency_id: e.agency,
      significance: e.significance,
      summary: e.summary,
      detail_type: e.detailType,
      detail_id: e.detailId,
      visibility: e.visibility,
      addressed_to_membership_id: e.addressedTo ?? null,
      supersedes_entry_id: null,
    })
    await trx
      .insertInto('entry')
      .values([
        entry('asked', { type: 'information_request', summary: 'Asked Northshire Police and Northshire Community Health NHS Trust what they know about the child (standard request).', at: askedAt, author: requester, team: frontDoorTeam, agency: agencyId('csc'), visibility: 'front_door', significance: 'low', detailType: 'information_request', detailId: toPolice }),
        entry('answer', { type: 'information_shared', summary: shared, at: answeredAt, occurred: new Date('2026-11-12T12:00:00Z'), timeKnown: false, author: membershipOf('nurse'), team: id('team:health:school-nursing'), agency: agencyId('health'), visibility: 'team', significance: 'medium', detailType: 'information_request', detailId: toHealth, addressedTo: requester }),
        entry('decision', { type: 'sharing_decision', summary: 'Sharing decision: shared with Northshire Children’s Social Care (answering a partner agency’s request for information; Public task — Article 6(1)(e)): our answer to a request for information.', at: answeredAt, author: membershipOf('nurse'), team: id('team:health:school-nursing'), agency: agencyId('health'), visibility: 'team', significance: 'medium', detailType: 'sharing_decision', detailId: decisionId }),
      ])
      .execute()
    await trx
      .insertInto('sharing_decision')
      .values({
        id: decisionId,
        partnership_id: partnershipId,
        child_id: childId,
        shared: true,
        what: `Our answer to a request for information (1 entry): ${shared}`,
        categories: ['health'],
        entry_ids: [id('entry:information-request:answer')],
        with_agency_ids: [agencyId('csc')],
        with_other: null,
        purpose: 'request_answer',
        lawful_basis: '6.1.e',
        special_category: true,
        art9_condition: '9.2.g',
        schedule1_condition: 'sch1.18',
        para18_reason: 'would_prejudice',
        consent: 'not_sought',
        consent_reason: 'The front door is assessing whether the child is at risk: asking the parents first could put the child at risk.',
        golden_rules: sql`${JSON.stringify({ child_protected: true, family_engaged: false, consent_considered: true, advice_sought: false, identities_protected: true, relevant_accurate: true, recorded: true })}::jsonb` as unknown as Record<string, boolean>,
        reasons: 'The front door needs health information to decide the response to a contact; only the relevant health contact is shared.',
        within_agreement: null,
        agreement_version: null,
        outside_agreement_reason: null,
        context: 'request_answer',
        context_id: toHealth,
        visibility: 'team',
        author_membership_id: membershipOf('nurse'),
        author_agency_id: agencyId('health'),
        author_team_id: id('team:health:school-nursing'),
        idempotency_key: null,
        created_at: answeredAt,
      })
      .execute()
    const answerers = await trx.selectFrom('membership').select('id').where('partnership_id', '=', partnershipId).where('agency_id', '=', agencyId('police')).where('role', '=', 'police_officer').execute()
    await trx
      .insertInto('notification')
      .values([
        ...answerers.map((m) => ({ id: id(`notification:information-request:police:${m.id}`), partnership_id: partnershipId, membership_id: m.id, kind: 'request.asked', child_id: childId, subject_type: 'information_request', subject_id: toPolice, link: `/information-requests/${toPolice}`, created_at: askedAt })),
        { id: id('notification:information-request:answered'), partnership_id: partnershipId, membership_id: requester, kind: 'request.answered', child_id: childId, subject_type: 'information_request', subject_id: toHealth, link: `/information-requests/${toHealth}`, created_at: answeredAt },
      ])
      .execute()
  })
}
