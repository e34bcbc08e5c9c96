// The access policy: who may do what, and how far each role's relationships reach into a child's record.
// Pure data, read by the route gate (coarse) and compiled into SQL predicates by the data layer (the real gate).
// Deny by default: a role or permission not named here is refused.
import type { AgencyKind, RelationshipType, Visibility } from '../data/schema.ts'

export const ROLES = [
  'teacher',
  'headteacher',
  'dsl',
  'deputy_dsl',
  'senco',
  'pastoral_worker',
  'school_social_worker',
  'front_door_social_worker',
  'social_worker',
  'team_manager',
  'police_officer',
  'school_nurse',
  'health_visitor',
  'gp',
  'agency_admin',
  'partnership_admin',
  'ig_officer',
  'lado',
] as const
export type Role = (typeof ROLES)[number]

export const ROLE_LABELS: Record<Role, string> = {
  teacher: 'Teacher',
  headteacher: 'Headteacher',
  dsl: 'Designated safeguarding lead',
  deputy_dsl: 'Deputy designated safeguarding lead',
  senco: 'SENCO',
  pastoral_worker: 'Pastoral worker',
  school_social_worker: 'School-based social worker',
  front_door_social_worker: 'Front door (MASH) social worker',
  social_worker: 'Social worker',
  team_manager: 'Team manager',
  police_officer: 'Police officer',
  school_nurse: 'School nurse',
  health_visitor: 'Health visitor',
  gp: 'GP',
  agency_admin: 'Agency administrator',
  partnership_admin: 'Partnership administrator',
  ig_officer: 'Information governance officer',
  lado: 'Local authority designated officer (LADO)',
}

export const PERMISSIONS = [
  'public', // sign-in pages and health: no session needed
  'signed-in', // any signed-in practitioner (home, switching membership, sign out)
  'child:read', // a child's summary, through a relationship
  'child:read-access-log', // "who has looked at this record"
  'practitioner:administer', // people and memberships of the admin's agency
  'partnership:administer',
  'concern:raise', // log a concern about a child (and name a child not yet known)
  'concern:triage', // the DSL's triage: linking concerns, the API's queue (the page of concerns to decide, /triage, and deciding one — actions, outcome, reasons — are the data layer's: the concern's agency's leads, or whom it was routed to)
  'consultation:ask', // ask the school-based social worker
  'consultation:give', // answer as the school-based social worker
  'allegation:raise', // a concern about an adult who works with children
  'allegation:manage', // the headteacher's and the LADO's queue
  'referral:make', // a contact or referral to the front door
  'front-door:work', // the MASH queue: acknowledge, checks, decide
  'front-door:sign-off', // managers sign off decisions and answer challenges
  'encompass:record', // police: Operation Encompass notices to schools
  'missing:record', // police: missing and found
  'missing:rhi', // record the return home interview
  'records:import', // load the agency's own records of children and its entries (CSV import, the API)
  'records:match', // the partnership's review queue: merge, not the same child, unmerge
  'tac:start', // start a team around a child (and lead it, or name its lead practitioner)
  'tac:work', // take part in a team around a child: the data layer admits members, and viewers with team reach
  'cp:record', // the child-protection route: strategy discussions, s47 outcomes, conferences, CP plans, statutory visits
  'oversight:record', // management oversight and supervision notes, with the manager's decisions
  'clocks:oversee', // the manager's dashboard of statutory clocks, and reasons when late
  'exploitation:screen', // screen a child for risk of exploitation and refer to the MACE panel
  'mace:panel', // the multi-agency child exploitation panel's queue
  'access:break-glass', // emergency access to a child's record: exact identifiers, a reason, the second factor again; 60 minutes; reviewed
  'access:self-claim', // claim "I work with this child" with a reason: a self-claimed relationship, reviewed
  'access:review', // information governance: the review queue of break-glass and self-claimed access, outcomes, ending access
  'requests:ask', // ask other agencies what they know about a child (information requests), and follow one's own requests
  'requests:answer', // answer (or decline) information requests addressed to one's agency: its safeguarding roles
  'entry:visibility', // widen (a sharing decision) or narrow an entry's visibility: the authoring agency's practitioners who see it
  'entry:seal-request', // ask for an entry to be sealed or unsealed (the authoring team); a second person approves
  'approval:decide', // approve or refuse a two-person approval: the authoring team's manager, or information governance
  'access:report', // information governance: the partnership's unusual-access report (the audit chain verified first)
  'retention:manage', // information governance: retention dates, legal holds, the retention years, the job's dry-run reports and asking for one to be carried out
  'retention:decide', // the second person of a retention deletion (information governance or a team manager)
  'sharing:record', // record a sharing decision on a child's record (shared or not, with the lawful basis and reasons) and read the child's decisions
  'sar:manage', // information governance: subject access requests to the officer's agency (its own data controller) — log, collate, redact, release (a second IG officer approves), export
  'export:manage', // information governance: bulk exports of its agency's records of several children (JSON) — asked for with the purpose, lawful basis and reason; a second IG officer of the agency approves; downloaded by the requester for 24 hours
  'entry:dispute', // record a child's or parent's dispute of (or request to correct) an entry one can see, and respond for the authoring agency
  'transfer:send', // child-protection file transfer (R9): the old school's DSL or deputy sends a child's safeguarding file to the new school
  'transfer:receive', // child-protection file transfer (R9): the new school's DSL or deputy confirms receipt of an incoming file
] as const
export type Permission = (typeof PERMISSIONS)[number]

/** How a role's relationships reach into a child's record. */
export interface Reach {
  /** May see identity and flags of children in reach. */
  identity: boolean
  /** Relationship types (held by the role's agency / team / membership) that bring a child into reach. */
  through: readonly RelationshipType[]
  /** Entry visibilities the role sees (for children in reach), beyond its own entries and entries addressed to it. */
  entries: {
    team: boolean
    /** `agency` entries of the role's own agency. */
    ownAgency: boolean
    /** `front_door` entries: 'always' for the front door, 'when-allocated' for allocated workers. */
    frontDoor: 'always' | 'when-allocated' | 'never'
    /** `restricted` entries that name the role's agency (and role, when roles are named). */
    restrictedIfNamed: boolean
  }
  /** Sees children through the relationships held by members of their team (managers). */
  asTeamMembers: boolean
  /** Reaches pupils of the schools the membership serves (school social workers). */
  viaServedSchools: boolean
}

const school: readonly RelationshipType[] = ['pupil_at']
const none = { team: false, ownAgency: false, frontDoor: 'never', restrictedIfNamed: false } as const
const personal: readonly RelationshipType[] = ['allocated_worker', 'team_member', 'break_glass', 'self_claimed']

export const REACH: Record<Role, Reach> = {
  // Classroom staff: identity of pupils on roll; entries: their own concerns and the outcomes fed back to them.
  teacher: { identity: true, through: [...school, ...personal], entries: none, asTeamMembers: false, viaServedSchools: false },
  pastoral_worker: { identity: true, through: [...school, ...personal], entries: none, asTeamMembers: false, viaServedSchools: false },
  senco: { identity: true, through: [...school, ...personal], entries: none, asTeamMembers: false, viaServedSchools: false },
  headteacher: {
    identity: true,
    through: [...school, 'agency_record', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  dsl: {
    identity: true,
    through: [...school, 'agency_record', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  deputy_dsl: {
    identity: true,
    through: [...school, 'agency_record', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  school_social_worker: {
    identity: true,
    through: [...personal],
    entries: { team: true, ownAgency: false, frontDoor: 'never', restrictedIfNamed: false },
    asTeamMembers: false,
    viaServedSchools: true,
  },
  front_door_social_worker: {
    identity: true,
    through: ['front_door_contact', 'agency_record', ...personal],
    entries: { team: true, ownAgency: false, frontDoor: 'always', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  // a social worker sees the children allocated to them or whose team around the child they are in — not every
  // child their agency has a record of (need to know)
  social_worker: {
    identity: true,
    through: [...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'when-allocated', restrictedIfNamed: false },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  team_manager: {
    identity: true,
    through: ['front_door_contact', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'when-allocated', restrictedIfNamed: true },
    asTeamMembers: true,
    viaServedSchools: false,
  },
  police_officer: {
    identity: true,
    through: ['agency_record', 'front_door_contact', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  school_nurse: {
    identity: true,
    through: ['agency_record', 'front_door_contact', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  health_visitor: {
    identity: true,
    through: ['agency_record', 'front_door_contact', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  gp: {
    identity: true,
    through: ['agency_record', 'front_door_contact', ...personal],
    entries: { team: true, ownAgency: true, frontDoor: 'never', restrictedIfNamed: true },
    asTeamMembers: false,
    viaServedSchools: false,
  },
  // No case content.
  agency_admin: { identity: false, through: [], entries: none, asTeamMembers: false, viaServedSchools: false },
  partnership_admin: { identity: false, through: [], entries: none, asTeamMembers: false, viaServedSchools: false },
  ig_officer: { identity: false, through: [], entries: none, asTeamMembers: false, viaServedSchools: false },
  lado: { identity: false, through: [], entries: none, asTeamMembers: false, viaServedSchools: false },
}

/** Break-glass gives `team` reach for its 60 minutes, whatever the role. */
export const BREAK_GLASS_MINUTES = 60
/**
 * A self-claimed relationship lasts 30 days: long enough for the formal relationship (an allocation, joining the team
 * around the child, the agency's own record) to be set up, short enough that a claim nobody made formal lapses on its
 * own. Information governance reviews every claim and can end it at once; a longer need is a new, reviewed claim.
 */
export const SELF_CLAIM_DAYS = 30

const caseRoles = ROLES.filter((r) => REACH[r].identity)

const SAFEGUARDING_LEADS: readonly Role[] = ['dsl', 'deputy_dsl', 'headteacher']

/**
 * Who answers an information request addressed to an agency, by the agency's kind: a school's DSL and deputies; the
 * police's officers; health's school nurses, health visitors and GPs; children's social care's front door. Agencies of
 * other kinds (housing, voluntary) have no answering role yet, so they cannot be asked through TeamAround.
 */
export const INFORMATION_REQUEST_ANSWERERS: Readonly<Record<AgencyKind, readonly Role[]>> = {
  school: ['dsl', 'deputy_dsl'],
  police: ['police_officer'],
  health: ['school_nurse', 'health_visitor', 'gp'],
  childrens_social_care: ['front_door_social_worker'],
  housing: [],
  voluntary: [],
  other: [],
}

const SCHOOL_STAFF: readonly Role[] = ['teacher', 'headteacher', 'dsl', 'deputy_dsl', 'senco', 'pastoral_worker']
const CLASSROOM_STAFF: readonly Role[] = ['teacher', 'senco', 'pastoral_worker']
/** Who may be the second person of a two-person approval (src/modules/governance/approvals.ts): managers and IG. */
export const APPROVERS: readonly Role[] = ['team_manager', 'headteacher', 'ig_officer']
const REFERRERS: readonly Role[] = [...SAFEGUARDING_LEADS, 'police_officer', 'school_nurse', 'health_visitor', 'gp', 'social_worker', 'school_social_worker', 'front_door_social_worker']

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = Object.fromEntries(
  ROLES.map((role) => {
    const p: Permission[] = ['public', 'signed-in']
    if (caseRoles.includes(role)) p.push('child:read', 'concern:raise', 'allegation:raise')
    if (role === 'team_manager' || role === 'ig_officer') p.push('child:read-access-log')
    if (role === 'agency_admin' || role === 'partnership_admin') p.push('practitioner:administer')
    if (role === 'partnership_admin') p.push('partnership:administer')
    if (SAFEGUARDING_LEADS.includes(role)) p.push('concern:triage')
    if (SCHOOL_STAFF.includes(role) && role !== 'teacher') p.push('consultation:ask')
    if (role === 'school_social_worker') p.push('consultation:give')
    if (role === 'headteacher' || role === 'lado') p.push('allegation:manage')
    if (role === 'lado') p.push('allegation:raise')
    if (REFERRERS.includes(role)) p.push('referral:make')
    if (role === 'front_door_social_worker' || role === 'team_manager') p.push('front-door:work')
    if (role === 'team_manager') p.push('front-door:sign-off')
    if (role === 'police_officer') p.push('encompass:record', 'missing:record')
    if (['police_officer', 'social_worker', 'team_manager', 'front_door_social_worker'].includes(role)) p.push('missing:rhi')
    // Agency records: loading an agency's records (and its integrations' entries) is administration of that
    // agency's data, not case work, so it is the agency administrator's (an integration signs in as one).
    // Deciding whether two records are one child is identity work across agencies with no case content: the
    // partnership administrator and information governance, who are accountable for the partnership's data.
    if (role === 'agency_admin') p.push('records:import')
    if (role === 'partnership_admin' || role === 'ig_officer') p.push('records:match')
    // Team around the child: any practitioner may be a member (the team itself is the gate); classroom teachers
    // raise concerns and are invited, but do not start teams.
    if (caseRoles.includes(role)) p.push('tac:work')
    if (caseRoles.includes(role) && role !== 'teacher') p.push('tac:start', 'exploitation:screen')
    if (['social_worker', 'team_manager', 'front_door_social_worker'].includes(role)) p.push('cp:record')
    if (role === 'team_manager') p.push('oversight:record', 'clocks:oversee')
    if (role === 'team_manager' || role === 'police_officer') p.push('mace:panel')
    // Break-glass and self-claims (src/modules/breakglass): every case role may claim a relationship (reviewed); break-glass
    // is for the roles that act on risk themselves — classroom staff pass a worry to their DSL, who can break the glass.
    // No case content for IG, administrators or the LADO role, so neither. IG reviews both.
    if (caseRoles.includes(role)) p.push('access:self-claim')
    if (caseRoles.includes(role) && !CLASSROOM_STAFF.includes(role)) p.push('access:break-glass')
    if (role === 'ig_officer') p.push('access:review')
    // Information requests: asked by practitioners whose relationships give case reach (they see the team's entries, so
    // they see the answers); answered by each agency's safeguarding roles (INFORMATION_REQUEST_ANSWERERS).
    if (caseRoles.includes(role) && REACH[role].entries.team) p.push('requests:ask')
    if ((Object.values(INFORMATION_REQUEST_ANSWERERS) as readonly (readonly Role[])[]).some((roles) => roles.includes(role))) p.push('requests:answer')
    // Governance (src/modules/governance): an entry's visibility is changed, and its sealing asked for, by practitioners
    // whose relationships give case reach (the repository also requires the authoring agency, or team for sealing);
    // a seal or unseal is approved by a second person: the manager of the authoring team (a team manager; a school's
    // headteacher) or information governance. IG reads the partnership's unusual-access report.
    if (caseRoles.includes(role) && REACH[role].entries.team) p.push('entry:visibility', 'entry:seal-request')
    if (APPROVERS.includes(role)) p.push('approval:decide')
    if (role === 'ig_officer') p.push('access:report')
    // Sharing decisions (src/modules/sharing): recorded by practitioners whose relationships give case reach — the ones
    // who hold a child's information and decide whether it moves (classroom staff pass a worry to their DSL instead).
    if (caseRoles.includes(role) && REACH[role].entries.team) p.push('sharing:record')
    // Retention (src/modules/retention): information governance manages it; a deletion is approved by a second
    // information governance officer or a team manager (two people, ASVS 2.3.5).
    if (role === 'ig_officer') p.push('retention:manage', 'retention:decide')
    if (role === 'team_manager') p.push('retention:decide')
    // Subject access (src/modules/sar): information governance, for its own agency's data; disputes and corrections are
    // recorded beside an entry by practitioners whose relationships give case reach (and by IG for an item of a request).
    if (role === 'ig_officer') p.push('sar:manage')
    // Bulk export (src/modules/exports): information governance, for its own agency's records; a second IG officer approves.
    if (role === 'ig_officer') p.push('export:manage')
    if (caseRoles.includes(role) && REACH[role].entries.team) p.push('entry:dispute')
    // Child-protection file transfer (src/modules/transfers, R9): the school's DSL and deputy DSL send and receive.
    if (role === 'dsl' || role === 'deputy_dsl') p.push('transfer:send', 'transfer:receive')
    return [role, p]
  }),
) as unknown as Record<Role, readonly Permission[]>

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission)
}

/** Roles that see a confidential address (e.g. a refuge) unless the address names its own list. */
export const CONFIDENTIAL_ADDRESS_ROLES: readonly Role[] = ['front_door_social_worker', 'social_worker', 'team_manager', 'police_officer']

export const SCHOOL_STAFF_ROLES: readonly Role[] = SCHOOL_STAFF
export const SAFEGUARDING_LEAD_ROLES: readonly Role[] = SAFEGUARDING_LEADS

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

export const ALL_VISIBILITIES: readonly Visibility[] = ['agency', 'team', 'front_door', 'restricted', 'sealed']

/** What each role does, its duties and its limits: shown in the directory so everyone sees where each role fits. */
export const ROLE_DUTIES: Record<Role, { does: string; limits: string }> = {
  teacher: { does: 'Notices and logs worries about pupils, in their own words, the same day.', limits: 'Does not investigate or decide thresholds; passes every concern to the DSL.' },
  headteacher: { does: 'Leads the school; receives allegations about staff and makes sure the DSL role is resourced.', limits: 'Refers allegations that meet the harm threshold to the LADO; does not investigate them alone.' },
  dsl: { does: 'Designated safeguarding lead: triages concerns, decides and records actions and reasons, refers to the front door, joins the team around the child.', limits: 'Does not decide the local authority’s response: the front door does.' },
  deputy_dsl: { does: 'Acts for the DSL when they are not there, with the same duties.', limits: 'As the DSL.' },
  senco: { does: 'Special educational needs coordinator: assessments of need, EHC plans, often the key worker in a team around the child.', limits: 'Safeguarding concerns go to the DSL.' },
  pastoral_worker: { does: 'Day-to-day support for pupils and families; notices and logs worries.', limits: 'Passes every concern to the DSL.' },
  school_social_worker: { does: 'A social worker based in schools: a sounding board for staff, consultations, early advice to families.', limits: 'A consultation is not a referral: significant harm goes to the front door.' },
  front_door_social_worker: { does: 'Front door (MASH): receives every contact and referral, makes checks, decides the response within one working day and tells the referrer why.', limits: 'Does not hold cases long term: allocates to assessment teams.' },
  social_worker: { does: 'Assesses children and families (s17, s47), leads child in need and child protection plans, visits children.', limits: 'Works within the plans agreed with managers and conferences.' },
  team_manager: { does: 'Allocates work, signs off front door decisions, answers challenges, oversees clocks and supervision.', limits: 'Escalates to service managers when thresholds or resources are disputed.' },
  police_officer: { does: 'Public protection: MASH checks, public protection notices, Operation Encompass, missing children, exploitation, joint visits.', limits: 'Criminal investigation follows police procedures; shares what is necessary and proportionate.' },
  school_nurse: { does: 'Health for school-age children: health assessments, safeguarding health advice, contributions to plans.', limits: 'Shares health information on a lawful basis, recorded as a sharing decision.' },
  health_visitor: { does: 'Health for children under five and their families, including before birth.', limits: 'As the school nurse.' },
  gp: { does: 'General practice: health history, missed appointments, safeguarding reports to conferences.', limits: 'As the school nurse.' },
  agency_admin: { does: 'Manages their agency’s practitioners: accounts, roles, lost authenticators, leavers.', limits: 'Sees no case content.' },
  partnership_admin: { does: 'Manages the partnership’s agencies, configuration and administrators.', limits: 'Sees no case content.' },
  ig_officer: { does: 'Information governance: access reports, break-glass reviews, subject access and retention.', limits: 'Sees who looked at records, not their content.' },
  lado: { does: 'Local authority designated officer: manages allegations about adults who work with children.', limits: 'Does not see children’s case records through this role.' },
}
