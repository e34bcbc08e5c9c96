// Kysely table types, kept beside the migrations that create them.
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>

export interface PartnershipTable {
  id: string
  partnership_id: string
  name: string
  code: string
  created_at: Timestamp
}

export const AGENCY_KINDS = ['school', 'childrens_social_care', 'police', 'health', 'housing', 'voluntary', 'other'] as const
export type AgencyKind = (typeof AGENCY_KINDS)[number]

export interface AgencyTable {
  id: string
  partnership_id: string
  name: string
  kind: AgencyKind
  description: Generated<string>
  phone: string | null
  email: string | null
  address: string | null
  school_start_of_day: string | null
  created_at: Timestamp
}

export interface TeamTable {
  id: string
  partnership_id: string
  agency_id: string
  name: string
  is_front_door: Generated<boolean>
  description: Generated<string>
  phone: string | null
  email: string | null
  is_out_of_hours: Generated<boolean>
  created_at: Timestamp
}

export interface PractitionerTable {
  id: string
  partnership_id: string
  email: string
  given_name: string
  family_name: string
  job_title: Generated<string>
  phone: string | null
  password_hash: string
  totp_secret: string | null
  totp_enrolled_at: Timestamp | null
  totp_last_step: number | null
  failed_sign_ins: Generated<number>
  locked_until: Timestamp | null
  disabled_at: Timestamp | null
  created_at: Timestamp
}

export interface MembershipTable {
  id: string
  partnership_id: string
  practitioner_id: string
  agency_id: string
  team_id: string | null
  role: string
  starts_at: Timestamp
  ends_at: Timestamp | null
  created_at: Timestamp
}

export interface MembershipSchoolTable {
  partnership_id: string
  membership_id: string
  school_agency_id: string
}

export interface ChildTable {
  id: string
  partnership_id: string
  given_name: string
  family_name: string
  date_of_birth: string | null
  expected_date_of_birth: string | null
  sex: 'female' | 'male' | 'unknown' | 'indeterminate'
  nhs_number: string | null
  upn: string | null
  ethnicity: string | null
  first_language: string | null
  interpreter_needed: Generated<boolean>
  disability: string | null
  sen_status: Generated<'none' | 'sen_support' | 'ehcp'>
  child_in_need: Generated<boolean>
  child_protection_plan: Generated<boolean>
  looked_after: Generated<boolean>
  provisional: Generated<boolean>
  created_at: Timestamp
}

export interface ChildNameTable {
  id: string
  partnership_id: string
  child_id: string
  kind: 'alias' | 'previous' | 'preferred' | 'birth'
  given_name: string
  family_name: string
}

export interface ChildAddressTable {
  id: string
  partnership_id: string
  child_id: string
  line1: string
  line2: string | null
  town: string | null
  postcode: string | null
  from_date: string
  to_date: string | null
  confidential: Generated<boolean>
  confidential_reason: string | null
  visible_to_roles: string[] | null
}

export interface FamilyMemberTable {
  id: string
  partnership_id: string
  child_id: string
  related_child_id: string | null
  name: string
  relationship: string
  parental_responsibility: Generated<boolean>
  same_household: Generated<boolean>
  phone: string | null
}

export const RELATIONSHIP_TYPES = [
  'pupil_at',
  'agency_record',
  'allocated_worker',
  'front_door_contact',
  'team_member',
  'break_glass',
  'self_claimed',
] as const
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number]

export interface RelationshipTable {
  id: string
  partnership_id: string
  child_id: string
  type: RelationshipType
  holder_agency_id: string | null
  holder_team_id: string | null
  holder_membership_id: string | null
  starts_at: Timestamp
  ends_at: Timestamp | null
  source: string
  reason: string
  created_by_membership_id: string | null
  created_at: Timestamp
}

export const VISIBILITIES = ['agency', 'team', 'front_door', 'restricted', 'sealed'] as const
export type Visibility = (typeof VISIBILITIES)[number]
export const SIGNIFICANCES = ['low', 'medium', 'high', 'critical'] as const
export type Significance = (typeof SIGNIFICANCES)[number]

export interface EntryTable {
  id: string
  partnership_id: string
  child_id: string
  agency_record_id: string | null
  type: string
  category: string | null
  occurred_at: Timestamp
  occurred_time_known: Generated<boolean>
  recorded_at: Timestamp
  author_membership_id: string | null
  author_team_id: string | null
  source_agency_id: string
  significance: Significance
  summary: string
  detail_type: string | null
  detail_id: string | null
  visibility: Visibility
  restricted_agency_ids: Generated<string[]>
  restricted_roles: Generated<string[]>
  addressed_to_membership_id: string | null
  supersedes_entry_id: string | null
}

export interface SessionTable {
  id_hash: string
  partnership_id: string
  practitioner_id: string
  membership_id: string | null
  state: 'mfa_enrol' | 'mfa_challenge' | 'active'
  pending_totp_secret: string | null
  created_at: Timestamp
  last_seen_at: Timestamp
  expires_at: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
}

export interface AuditEventTable {
  id: Generated<number>
  partnership_id: string
  at: Timestamp
  txid: Generated<string>
  actor_practitioner_id: string | null
  actor_membership_id: string | null
  actor_kind: 'practitioner' | 'system' | 'anonymous'
  action: string
  entity_type: string | null
  entity_id: string | null
  child_ids: Generated<string[]>
  relationship_id: string | null
  outcome: 'success' | 'refused' | 'failure' | 'not_found'
  request_id: string | null
  details: Generated<Record<string, unknown>>
}

export interface AuditSealTable {
  partnership_id: string
  seal_seq: number
  audit_id: number
  hash: string
  sealed_at: Timestamp
}

export interface LeaseTable {
  partnership_id: string
  name: string
  holder: string
  expires_at: Timestamp
}

export interface ConcernCategoryTable {
  partnership_id: string
  code: string
  label: string
  sort: number
  active: Generated<boolean>
}

export interface NeedLevelTable {
  partnership_id: string
  level: number
  name: string
  descriptor: string
  examples: Generated<string>
  response: Generated<string>
}

export interface BodyMark {
  view: 'front' | 'back'
  region: string
  x: number | null
  y: number | null
  description: string
}

export interface ConcernTable {
  id: string
  partnership_id: string
  submission_id: string
  child_id: string
  agency_id: string
  raised_by_membership_id: string
  category: string
  seen_or_heard: string
  child_words: string | null
  occurred_at: Timestamp
  location: string | null
  other_children: string | null
  immediate_danger: Generated<boolean>
  body_map: ColumnType<BodyMark[], string, string>
  status: Generated<'open' | 'triaged' | 'closed'>
  entry_id: string | null
  idempotency_key: string | null
  created_at: Timestamp
}

export interface ConcernLinkTable {
  partnership_id: string
  concern_id: string
  linked_concern_id: string
  linked_by_membership_id: string
  created_at: Timestamp
}

export interface AllegationTable {
  id: string
  partnership_id: string
  agency_id: string
  raised_by_membership_id: string
  about_practitioner_id: string | null
  about_name: string
  about_role: string
  what_happened: string
  occurred_at: Timestamp
  route: 'headteacher' | 'lado'
  status: Generated<'open' | 'referred_to_lado' | 'closed'>
  outcome: string | null
  idempotency_key: string | null
  created_at: Timestamp
}

export interface TriageActionTable {
  id: string
  partnership_id: string
  concern_id: string
  child_id: string
  by_membership_id: string
  actions: string[]
  outcome: 'monitor' | 'closed' | 'escalated'
  reasons: string
  entry_id: string | null
  created_at: Timestamp
}

export interface ConsultationTable {
  id: string
  partnership_id: string
  child_id: string | null
  school_agency_id: string
  asked_by_membership_id: string
  social_worker_membership_id: string | null
  concern_id: string | null
  question: string
  advice: string | null
  next_step: string | null
  follow_up_on: string | null
  status: Generated<'asked' | 'answered' | 'closed'>
  entry_id: string | null
  created_at: Timestamp
  answered_at: Timestamp | null
}

export const DECISIONS = ['nfa', 'advice', 'early_help', 's17', 's47', 'police'] as const
export type Decision = (typeof DECISIONS)[number]

export interface ReferralTable {
  id: string
  partnership_id: string
  submission_id: string
  child_id: string
  kind: 'contact' | 'referral'
  source: 'school' | 'police' | 'health' | 'public' | 'other'
  source_agency_id: string | null
  referrer_membership_id: string | null
  referrer_name: string | null
  referrer_contact: string | null
  recorded_by_membership_id: string
  concern_ids: Generated<string[]>
  reason: string
  level_believed: number | null
  level_reason: string | null
  parents_know: boolean | null
  parents_not_told_reason: string | null
  urgency: 'immediate' | 'today' | 'routine'
  ppn_reference: string | null
  out_of_hours: Generated<boolean>
  queue_team_id: string
  re_referral_of: string | null
  status: Generated<'received' | 'acknowledged' | 'checks' | 'decided' | 'awaiting_sign_off' | 'closed'>
  received_at: Timestamp
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  decision: Decision | null
  rationale: string | null
  level_found: number | null
  decided_by: string | null
  decided_at: Timestamp | null
  needs_sign_off: Generated<boolean>
  signed_off_by: string | null
  signed_off_at: Timestamp | null
  sign_off_note: string | null
  referrer_told_at: Timestamp | null
  idempotency_key: string | null
  created_at: Timestamp
}

export interface ReferralCheckTable {
  id: string
  partnership_id: string
  referral_id: string
  agency: string
  finding: string
  by_membership_id: string
  created_at: Timestamp
}

export interface ChallengeTable {
  id: string
  partnership_id: string
  referral_id: string
  raised_by_membership_id: string
  reason: string
  status: Generated<'open' | 'upheld' | 'not_upheld'>
  response: string | null
  responded_by: string | null
  responded_at: Timestamp | null
  created_at: Timestamp
}

export interface NotificationTable {
  id: string
  partnership_id: string
  membership_id: string
  kind: string
  child_id: string | null
  subject_type: string | null
  subject_id: string | null
  link: string
  created_at: Timestamp
  read_at: Timestamp | null
}

export interface OutboxTable {
  id: string
  partnership_id: string
  to_address: string
  subject: string
  body: string
  created_at: Timestamp
  sent_at: Timestamp | null
  attempts: Generated<number>
}

export interface EncompassNoticeTable {
  id: string
  partnership_id: string
  submission_id: string
  child_id: string
  school_agency_id: string
  recorded_by_membership_id: string
  incident_reference: string | null
  incident_at: Timestamp
  summary: string
  due_at: Timestamp
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  school_response: string | null
  entry_id: string | null
  idempotency_key: string | null
  created_at: Timestamp
}

export interface MissingEpisodeTable {
  id: string
  partnership_id: string
  child_id: string
  reported_by_membership_id: string
  police_reference: string | null
  missing_from: Timestamp
  found_at: Timestamp | null
  where_found: string | null
  risk: 'no_apparent_risk' | 'low' | 'medium' | 'high'
  circumstances: string
  rhi_offered_at: Timestamp | null
  rhi_by: string | null
  rhi_independent: boolean | null
  rhi_accepted: boolean | null
  rhi_held_at: Timestamp | null
  rhi_child_said: string | null
  rhi_recorded_by: string | null
  strategy_meeting_prompted: Generated<boolean>
  entry_id: string | null
  created_at: Timestamp
}

export interface BankHolidayTable {
  partnership_id: string
  on_date: string
  name: string
}

export interface SchoolTermTable {
  id: string
  partnership_id: string
  school_agency_id: string
  name: string
  starts_on: string
  ends_on: string
}

export interface SchoolClosureTable {
  id: string
  partnership_id: string
  school_agency_id: string
  on_date: string
  reason: string
}

export const CLOCK_STATES = ['running', 'overdue', 'met', 'met_late', 'stopped'] as const
export type ClockState = (typeof CLOCK_STATES)[number]

export interface ClockTable {
  id: string
  partnership_id: string
  rule: string
  child_id: string | null
  subject_type: string
  subject_id: string
  started_at: Timestamp
  due_at: Timestamp
  state: Generated<ClockState>
  met_at: Timestamp | null
  reason: string | null
  escalate_to_membership_id: string | null
  escalated_at: Timestamp | null
  created_at: Timestamp
}

export interface SignalRuleTable {
  partnership_id: string
  code: string
  version: number
  name: string
  definition: ColumnType<SignalDefinition, string, string>
  active: Generated<boolean>
  created_at: Timestamp
}

export interface EntryMatch {
  types: string[]
  categories?: string[]
}

export type SignalDefinition =
  | { kind: 'count'; match: EntryMatch; minCount: number; minAgencies: number; windowDays: number }
  | { kind: 'combination'; first: EntryMatch; second: EntryMatch; windowDays: number }

export interface RiskSignalTable {
  id: string
  partnership_id: string
  child_id: string
  rule_code: string
  rule_version: number
  fingerprint: string
  entry_ids: string[]
  fired_at: Timestamp
  routed_to: Generated<string[]>
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  response: string | null
}

export interface SignalWatermarkTable {
  partnership_id: string
  evaluated_through: Timestamp
}

// Agency records (issue 4): each agency's own record of a child, linked to the partnership's child.
export const MATCH_STATES = ['matched', 'review', 'new_child', 'merged_by_reviewer'] as const
export type MatchState = (typeof MATCH_STATES)[number]

export interface AgencyRecordTable {
  id: string
  partnership_id: string
  agency_id: string
  source_ref: string
  given_name: string
  family_name: string
  date_of_birth: string
  sex: 'female' | 'male' | 'unknown' | 'indeterminate'
  nhs_number: string | null
  upn: string | null
  postcode: string | null
  address: string | null
  child_id: string
  match_state: MatchState
  match_probability: number | null
  match_explanation: ColumnType<Record<string, unknown> | null, string | null, string | null>
  review_child_id: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface LinkDecisionTable {
  id: string
  partnership_id: string
  agency_record_id: string
  kind: 'auto' | 'new_child' | 'review' | 'merge' | 'unmerge' | 'not_same'
  from_child_id: string | null
  to_child_id: string | null
  probability: number | null
  reason: string
  decided_by_membership_id: string | null
  decided_at: Timestamp
}

export interface NotSameChildTable {
  partnership_id: string
  agency_record_id: string
  child_id: string
  reason: string
  decided_by_membership_id: string | null
  decided_at: Timestamp
}

export interface ImportRunTable {
  id: string
  partnership_id: string
  agency_id: string
  kind: 'records' | 'entries'
  file_sha256: string
  file_name: string | null
  status: 'rejected' | 'running' | 'finished'
  rows_total: number
  rows_done: Generated<number>
  rows_rejected: Generated<number>
  started_by_membership_id: string | null
  started_at: Timestamp
  finished_at: Timestamp | null
}

export interface ImportRejectionTable {
  partnership_id: string
  import_run_id: string
  row_number: number
  reason: string
}

export interface DB {
  agency_record: AgencyRecordTable
  link_decision: LinkDecisionTable
  not_same_child: NotSameChildTable
  import_run: ImportRunTable
  import_rejection: ImportRejectionTable
  signal_rule: SignalRuleTable
  risk_signal: RiskSignalTable
  signal_watermark: SignalWatermarkTable
  bank_holiday: BankHolidayTable
  school_term: SchoolTermTable
  school_closure: SchoolClosureTable
  clock: ClockTable
  encompass_notice: EncompassNoticeTable
  missing_episode: MissingEpisodeTable
  concern_category: ConcernCategoryTable
  need_level: NeedLevelTable
  concern: ConcernTable
  concern_link: ConcernLinkTable
  allegation: AllegationTable
  triage_action: TriageActionTable
  consultation: ConsultationTable
  referral: ReferralTable
  referral_check: ReferralCheckTable
  challenge: ChallengeTable
  notification: NotificationTable
  outbox: OutboxTable
  partnership: PartnershipTable
  agency: AgencyTable
  team: TeamTable
  practitioner: PractitionerTable
  membership: MembershipTable
  membership_school: MembershipSchoolTable
  child: ChildTable
  child_name: ChildNameTable
  child_address: ChildAddressTable
  family_member: FamilyMemberTable
  relationship: RelationshipTable
  entry: EntryTable
  session: SessionTable
  audit_event: AuditEventTable
  audit_seal: AuditSealTable
  lease: LeaseTable
}
