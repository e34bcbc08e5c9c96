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
  /** Consecutive wrong second-factor codes (migration 20261130T2130); reset only by a second factor that succeeds. */
  failed_second_factors: Generated<number>
  locked_until: Timestamp | null
  disabled_at: Timestamp | null
  created_at: Timestamp
  /** Created with an administrator's temporary password: changed before anything else (migration 20261202T1310). */
  must_change_password: Generated<boolean>
  password_changed_at: Timestamp | null
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
  /** set while a reviewer's merge has left this child empty (the child its record went to): no matching, no search */
  merged_into_child_id: Generated<string | null>
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
  state: 'mfa_enrol' | 'mfa_challenge' | 'passkey_enrol' | 'active'
  pending_totp_secret: string | null
  created_at: Timestamp
  last_seen_at: Timestamp
  expires_at: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
  /** The second factor that made the session active (null before it is, and for sessions older than the column). */
  second_factor: 'totp' | 'passkey' | null
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
  /** Bumped by a trigger on every update: the API's ETag. */
  row_version: Generated<number>
  /** Whom the concern was routed to when its raiser's own safeguarding leads cannot open the child; empty: the raiser's agency's. */
  routed_to: Generated<string[]>
  /** Which rung of the routing rule it went by (ConcernRoute): null exactly when routed_to is empty. */
  routed_via: 'holder_leads' | 'team_lead' | 'front_door' | null
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
  /** Bumped by a trigger on every update: the API's ETag. */
  row_version: Generated<number>
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
  /** null: the child has no school on roll (the notice is the submission's record of the child; no clock) */
  school_agency_id: string | null
  recorded_by_membership_id: string
  incident_reference: string | null
  incident_at: Timestamp
  summary: string
  due_at: Timestamp | null
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

/** Signals moved to the child their entries are on by migration 20261130T2120, to be routed and audited by the next evaluation. */
export interface SignalFollowPendingTable {
  partnership_id: string
  signal_id: string
  from_child_id: string
  to_child_id: string
  moved_at: Timestamp
}

export interface SignalRecheckTable {
  partnership_id: string
  child_id: string
  entry_ids: string[]
  queued_at: Timestamp
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

// Team Around the Child (issue 5)
export const TAC_LEVELS = ['early_help', 'child_in_need', 'child_protection'] as const
export type TacLevel = (typeof TAC_LEVELS)[number]
export const ACTION_STATUSES = ['not_started', 'in_progress', 'done', 'dropped'] as const
export type ActionStatus = (typeof ACTION_STATUSES)[number]
export const MEETING_KINDS = ['team', 'review', 'strategy_discussion', 'icpc', 'review_conference', 'core_group', 'mace_panel'] as const
export type MeetingKind = (typeof MEETING_KINDS)[number]
export const CP_CATEGORIES = ['neglect', 'physical', 'sexual', 'emotional', 'multiple'] as const
export type CpCategory = (typeof CP_CATEGORIES)[number]

export interface PartnershipSettingTable {
  partnership_id: string
  key: string
  value: unknown
  updated_at: Timestamp
  updated_by: string | null
  /** Optimistic concurrency for the settings screens (migration 20261129T0300). */
  row_version: Generated<number>
}

export interface TacTable {
  id: string
  partnership_id: string
  level: TacLevel
  mace: Generated<boolean>
  status: Generated<'open' | 'closed'>
  lead_membership_id: string
  started_by_membership_id: string
  started_at: Timestamp
  reason: string
  next_review_on: string | null
  plan_version: Generated<number>
  closed_at: Timestamp | null
  closure_reason: string | null
  row_version: Generated<number>
  created_at: Timestamp
}

export interface TacChildTable {
  partnership_id: string
  tac_id: string
  child_id: string
}

export interface TacMemberTable {
  id: string
  partnership_id: string
  tac_id: string
  membership_id: string
  team_role: string
  duties: Generated<string>
  status: 'invited' | 'joined' | 'declined' | 'left'
  invited_by: string | null
  invited_at: Timestamp
  joined_at: Timestamp | null
  left_at: Timestamp | null
  left_reason: string | null
  row_version: Generated<number>
}

export interface TacFamilyMemberTable {
  id: string
  partnership_id: string
  tac_id: string
  name: string
  relationship: string
  views: Generated<string>
  agreement: Generated<'agreed' | 'not_agreed' | 'not_asked'>
  agreement_note: string | null
  recorded_by: string
  recorded_at: Timestamp
  row_version: Generated<number>
}

export interface LevelChangeTable {
  id: string
  partnership_id: string
  tac_id: string
  from_level: TacLevel | null
  to_level: TacLevel | null
  kind: 'start' | 'step_up' | 'step_down' | 'close' | 'reopen' | 'mace'
  reason: string
  decided_by: string
  decided_at: Timestamp
}

export interface AssessmentTable {
  id: string
  partnership_id: string
  tac_id: string
  child_id: string
  kind: 'early_help' | 'child_and_family'
  /** 'closed': its team closed while it was in progress (closed_at, closure_reason) */
  status: Generated<'in_progress' | 'completed' | 'closed'>
  referral_id: string | null
  started_at: Timestamp
  author_membership_id: string
  child_views: Generated<string>
  family_views: Generated<string>
  analysis: Generated<string>
  recommendation: Generated<string>
  factors: Generated<string[]>
  completed_at: Timestamp | null
  late_reason: string | null
  row_version: Generated<number>
  created_at: Timestamp
  closed_at: Timestamp | null
  closure_reason: string | null
}

export interface AssessmentDomainTable {
  id: string
  partnership_id: string
  assessment_id: string
  domain: string
  strengths: Generated<string>
  needs: Generated<string>
}

export interface AssessmentContributionTable {
  id: string
  partnership_id: string
  assessment_id: string
  membership_id: string
  agency_id: string
  domain: string | null
  body: string
  contributed_at: Timestamp
}

export interface MeetingTable {
  id: string
  partnership_id: string
  tac_id: string
  kind: MeetingKind
  title: string
  scheduled_at: Timestamp
  mode: 'in_person' | 'online' | 'phone'
  place: Generated<string>
  agenda: Generated<string>
  chair_membership_id: string
  status: Generated<'scheduled' | 'held' | 'cancelled'>
  held_at: Timestamp | null
  /** When the cancellation was recorded: at or after scheduled_at, the meeting did not take place (null before 2026-12-01). */
  cancelled_at: Timestamp | null
  minutes: Generated<string>
  minutes_status: Generated<'none' | 'draft' | 'approved'>
  minutes_approved_at: Timestamp | null
  minutes_approved_by: string | null
  late_reason: string | null
  created_by: string
  created_at: Timestamp
  row_version: Generated<number>
}

export interface MeetingInviteeTable {
  id: string
  partnership_id: string
  meeting_id: string
  membership_id: string | null
  name: string
  agency_label: Generated<string>
  role_label: Generated<string>
  attendance: Generated<'invited' | 'present' | 'apologies' | 'absent'>
}

export interface MeetingDecisionTable {
  id: string
  partnership_id: string
  meeting_id: string
  body: string
  recorded_by: string
  recorded_at: Timestamp
}

export interface PlanOutcomeTable {
  id: string
  partnership_id: string
  tac_id: string
  child_id: string | null
  body: string
  measure: 'scale' | 'named'
  measure_name: string | null
  sort: Generated<number>
  removed_at: Timestamp | null
  row_version: Generated<number>
  created_at: Timestamp
}

export interface PlanActionTable {
  id: string
  partnership_id: string
  tac_id: string
  outcome_id: string
  what: string
  owner_membership_id: string | null
  owner_name: string
  owner_agency: string
  due_on: string
  place: Generated<string>
  cost_pence: number | null
  status: Generated<ActionStatus>
  meeting_id: string | null
  removed_at: Timestamp | null
  row_version: Generated<number>
  created_at: Timestamp
}

export interface PlanVersionTable {
  id: string
  partnership_id: string
  tac_id: string
  version: number
  snapshot: unknown
  change_summary: string
  changed_by: string
  changed_at: Timestamp
}

export interface ReviewTable {
  id: string
  partnership_id: string
  tac_id: string
  meeting_id: string | null
  held_on: string
  plan_version: number
  child_view: Generated<string>
  family_view: Generated<string>
  summary: Generated<string>
  next_review_on: string | null
  recorded_by: string
  recorded_at: Timestamp
}

export interface ReviewScoreTable {
  partnership_id: string
  review_id: string
  outcome_id: string
  score: number
  note: Generated<string>
}

export interface ReviewActionTable {
  partnership_id: string
  review_id: string
  action_id: string
  status: ActionStatus
  overdue: Generated<boolean>
  note: Generated<string>
}

export interface CpEnquiryTable {
  id: string
  partnership_id: string
  tac_id: string
  child_id: string
  strategy_meeting_id: string
  strategy_held_at: Timestamp
  start_s47: boolean
  decision_reason: string
  outcome: 'icpc' | 'no_icpc_cin' | 'no_further_action' | null
  outcome_reason: string | null
  outcome_at: Timestamp | null
  recorded_by: string
  created_at: Timestamp
}

export interface CpPlanTable {
  id: string
  partnership_id: string
  tac_id: string
  child_id: string
  enquiry_id: string | null
  icpc_meeting_id: string
  category: CpCategory
  started_at: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
  created_at: Timestamp
}

export interface VisitTable {
  id: string
  partnership_id: string
  child_id: string
  tac_id: string | null
  cp_plan_id: string | null
  kind: 'statutory' | 'joint' | 'other'
  status: 'planned' | 'done' | 'cancelled'
  planned_for: Timestamp | null
  visited_at: Timestamp | null
  by_membership_id: string
  with_membership_id: string | null
  purpose: Generated<string>
  child_seen: boolean | null
  seen_alone: boolean | null
  not_seen_reason: string | null
  child_words: Generated<string>
  observations: Generated<string>
  agreed: Generated<string>
  follow_ups: Generated<string>
  late_reason: string | null
  created_at: Timestamp
  row_version: Generated<number>
  recorded_by: string | null
  recorded_at: Timestamp | null
  cancel_reason: string | null
}

export interface OversightNoteTable {
  id: string
  partnership_id: string
  child_id: string
  tac_id: string | null
  kind: 'oversight' | 'supervision'
  by_membership_id: string
  at: Timestamp
  note: string
  decisions: Generated<string>
}

export interface ExploitationScreeningTable {
  id: string
  partnership_id: string
  child_id: string
  by_membership_id: string
  at: Timestamp
  scores: Record<string, number>
  total: number
  level: 'low' | 'medium' | 'high'
  rules_version: number
  notes: Generated<string>
}

export interface MaceReferralTable {
  id: string
  partnership_id: string
  child_id: string
  screening_id: string | null
  tac_id: string | null
  referred_by: string
  referred_at: Timestamp
  reason: string
  status: Generated<'referred' | 'heard' | 'closed'>
  panel_meeting_id: string | null
  created_at: Timestamp
  heard_at: Timestamp | null
  decision: 'plan' | 'no_further' | null
  decision_reason: string | null
  attendees: Generated<string>
  heard_by: string | null
  closed_at: Timestamp | null
  closed_reason: string | null
  row_version: Generated<number>
}

export interface ExploitationLinkTable {
  id: string
  partnership_id: string
  child_id: string
  kind: 'child' | 'peer' | 'adult' | 'place'
  linked_child_id: string | null
  label: string
  notes: Generated<string>
  created_by: string
  created_at: Timestamp
  removed_at: Timestamp | null
}

// ---- Sharing decisions and the information-sharing agreement (migration 20261129T0400_sharing_decisions) ----

export interface SharingAgreementTable {
  partnership_id: string
  title: string
  version: Generated<number>
  effective_from: string
  review_due: string | null
  updated_by: string | null
  updated_at: Timestamp
}

export interface SharingAgreementRuleTable {
  id: string
  partnership_id: string
  from_agency_kind: AgencyKind | null
  from_agency_id: string | null
  to_agency_kind: AgencyKind | null
  to_agency_id: string | null
  categories: string[]
  purposes: string[]
  note: Generated<string>
  added_in_version: number
  effective_from: Timestamp
  ended_in_version: number | null
  effective_to: Timestamp | null
  created_by: string | null
  created_at: Timestamp
  ended_by: string | null
}

export type SharingConsent = 'given' | 'refused' | 'not_sought'
export type SharingContext = 'manual' | 'request_answer' | 'referral' | 'visibility_change' | 'file_transfer' | 'concern'

export interface SharingDecisionTable {
  id: string
  partnership_id: string
  child_id: string
  shared: boolean
  what: string
  categories: Generated<string[]>
  entry_ids: Generated<string[]>
  with_agency_ids: Generated<string[]>
  with_other: string | null
  purpose: string
  lawful_basis: string
  special_category: boolean
  art9_condition: string | null
  schedule1_condition: string | null
  para18_reason: string | null
  consent: SharingConsent
  consent_reason: string | null
  golden_rules: Record<string, boolean>
  reasons: string
  within_agreement: boolean | null
  agreement_version: number | null
  outside_agreement_reason: string | null
  not_covered: Generated<unknown[]>
  context: SharingContext
  context_id: string | null
  visibility: Visibility
  author_membership_id: string
  author_agency_id: string
  author_team_id: string | null
  idempotency_key: string | null
  created_at: Timestamp
}

// ---- Information requests between agencies (migration 20261129T0410_information_requests) ----

export const REQUEST_URGENCIES = ['urgent', 'standard'] as const
export type RequestUrgency = (typeof REQUEST_URGENCIES)[number]
export const REQUEST_STATUSES = ['open', 'answered', 'declined', 'withdrawn'] as const
export type RequestStatus = (typeof REQUEST_STATUSES)[number]

export interface InformationRequestTable {
  id: string
  partnership_id: string
  child_id: string
  /** The requests asked together (one per agency asked). */
  batch_id: string
  to_agency_id: string
  requested_by: string
  requester_agency_id: string
  requester_team_id: string | null
  referral_id: string | null
  question: string
  urgency: RequestUrgency
  asked_at: Timestamp
  due_at: Timestamp
  escalate_to_membership_id: string | null
  status: Generated<RequestStatus>
  responded_by: string | null
  responded_at: Timestamp | null
  nothing_known: boolean | null
  /** A note with "nothing known", or the reasons for declining. */
  response_note: string | null
  agency_record_id: string | null
  sharing_decision_id: string | null
  withdrawn_by: string | null
  withdrawn_at: Timestamp | null
  withdrawn_reason: string | null
  idempotency_key: string | null
  row_version: Generated<number>
  created_at: Timestamp
}

// ---- Break-glass and self-claimed access, and their review by information governance (migration 20261129T0420_break_glass) ----

export const ACCESS_REVIEW_OUTCOMES = ['appropriate', 'inappropriate', 'needs_follow_up'] as const
export type AccessReviewOutcome = (typeof ACCESS_REVIEW_OUTCOMES)[number]

export interface AccessReviewTable {
  id: string
  partnership_id: string
  kind: 'break_glass' | 'self_claimed'
  membership_id: string
  /** The relationship granted; null when no child matched. */
  relationship_id: string | null
  child_id: string | null
  /** Which identifiers were used (never the identifiers themselves), and a keyed hash of them. */
  identifier_kind: 'nhs_number' | 'name_and_dob' | 'identity_index'
  identifier_hash: string
  reason: string
  requested_at: Timestamp
  expires_at: Timestamp | null
  outcome: AccessReviewOutcome | null
  reviewer_membership_id: string | null
  review_notes: string | null
  reviewed_at: Timestamp | null
  ended_at: Timestamp | null
  ended_by: string | null
  row_version: Generated<number>
}

export interface AccessReviewDecisionTable {
  id: string
  partnership_id: string
  review_id: string
  outcome: AccessReviewOutcome
  notes: Generated<string>
  ended_access: Generated<boolean>
  decided_by: string
  decided_at: Timestamp
}

// ---- Two-person approval and entry visibility changes (migration 20261129T0430_approvals) ----

/** Kinds of two-person approval (ASVS 2.3.5); widened by migration 20261129T0600_subject_access. */
export const APPROVAL_KINDS = ['seal_entry', 'unseal_entry', 'sar_release', 'retention_delete', 'bulk_export'] as const
export type ApprovalKind = (typeof APPROVAL_KINDS)[number]
export const APPROVAL_STATES = ['requested', 'approved', 'refused', 'withdrawn'] as const
export type ApprovalState = (typeof APPROVAL_STATES)[number]

export interface ApprovalRequestTable {
  id: string
  partnership_id: string
  kind: ApprovalKind
  subject_type: string
  subject_ids: string[]
  child_ids: Generated<string[]>
  payload: Generated<Record<string, unknown>>
  reason: string
  requested_by: string
  /** Set by the database from requested_by's membership (a trigger), whatever the application sends. */
  requested_by_practitioner: string
  requested_at: Timestamp
  state: Generated<ApprovalState>
  decided_by: string | null
  /** Set by the database from decided_by's membership. */
  decided_by_practitioner: string | null
  decided_at: Timestamp | null
  decision_reason: string | null
  row_version: Generated<number>
}

export type VisibilityChangeKind = 'widen' | 'narrow' | 'seal' | 'unseal'

export interface EntryVisibilityChangeTable {
  id: string
  partnership_id: string
  entry_id: string
  child_id: string
  kind: VisibilityChangeKind
  from_visibility: Visibility
  from_restricted_agency_ids: string[]
  from_restricted_roles: string[]
  to_visibility: Visibility
  to_restricted_agency_ids: string[]
  to_restricted_roles: string[]
  reason: string
  changed_by: string
  changed_at: Timestamp
  approval_id: string | null
  sharing_decision_id: string | null
  txid: Generated<string>
}

// --- the API's idempotency keys (migration 20261129T0500_api_reliability) ---
export interface IdempotencyKeyTable {
  partnership_id: string
  practitioner_id: string
  key: string
  method: string
  path: string
  request_hash: string
  state: 'pending' | 'done'
  status_code: number | null
  response: string | null
  content_type: string | null
  created_at: Timestamp
  expires_at: Timestamp
  /** The request that claimed the key (its audit rows carry the same request id); null before 2026-12-02. */
  request_id: string | null
  /** The children that request's audit rows named, kept with its answer: a replay's audit row names them too. */
  child_ids: Generated<string[]>
}

// --- passkeys: WebAuthn second factor (migration 20261129T0630_passkeys) ---
export interface PasskeyTable {
  partnership_id: string
  id: string
  practitioner_id: string
  /** base64url credential id, as the browser reports it */
  credential_id: string
  /** base64url COSE public key */
  public_key: string
  sign_count: number
  transports: string[]
  device_type: 'singleDevice' | 'multiDevice'
  backed_up: boolean
  name: string
  created_at: Timestamp
  last_used_at: Timestamp | null
}

export interface WebauthnChallengeTable {
  partnership_id: string
  session_id_hash: string
  purpose: 'register' | 'authenticate'
  challenge: string
  expires_at: Timestamp
}

// ---- Retention and legal hold (migration 20261129T0610_retention) ----
/** Record types the retention job acts on (src/modules/retention/rules.ts). */
export const RETENTION_RECORD_TYPES = [
  'entry',
  'concern',
  'referral',
  'consultation',
  'information_request',
  'sharing_decision',
  'assessment',
  'plan',
  'team_around_the_child',
  'cp',
  'visit',
  'missing',
  'exploitation',
  'notice',
  'subject_access',
  'transfer',
  'identity',
] as const
export type RetentionRecordType = (typeof RETENTION_RECORD_TYPES)[number]
export type RetentionReportState = 'dry_run' | 'awaiting_approval' | 'executed' | 'closed' | 'superseded'

export interface LegalHoldTable {
  id: string
  partnership_id: string
  child_id: string
  reason: string
  placed_by: string
  placed_at: Timestamp
  lifted_by: string | null
  lifted_at: Timestamp | null
  lift_reason: string | null
}

export interface RetentionReportTable {
  id: string
  partnership_id: string
  created_at: Timestamp
  as_of: string
  state: Generated<RetentionReportState>
  items: ColumnType<unknown, string, string>
  counts: ColumnType<Record<string, number>, string, string>
  approval_id: string | null
  executed_at: Timestamp | null
  outcome: ColumnType<unknown, string | null, string | null>
  row_version: Generated<number>
}

export interface RetentionActionTable {
  id: string
  partnership_id: string
  report_id: string
  child_id: string
  record_type: RetentionRecordType
  record_id: string
  action: 'anonymised' | 'deleted'
  replacement: string | null
  acted_at: Timestamp
  txid: Generated<string>
}

// --- Child-protection file transfer between schools (issue 6 scope 7, R9; migration 20261129T0620) ---
export type FileTransferDestination = 'partnership' | 'outside'
export type FileTransferStatus = 'sent' | 'received' | 'withdrawn'
export interface FileTransferTable {
  id: string
  partnership_id: string
  child_id: string
  from_agency_id: string
  destination: FileTransferDestination
  to_agency_id: string | null
  to_school_name: string | null
  to_school_contact: string | null
  left_on: string
  starts_on: string | null
  clock_starts_on: string
  new_term: boolean
  due_at: Timestamp
  escalate_to_membership_id: string | null
  note: string | null
  started_by: string
  started_at: Timestamp
  sharing_decision_id: string
  status: Generated<FileTransferStatus>
  received_by: string | null
  received_at: Timestamp | null
  confirmed_by_name: string | null
  confirmed_by_role: string | null
  late_reason: string | null
  received_agency_record_id: string | null
  old_school_keeps: 'all' | 'none_after_receipt' | null
  withdrawn_by: string | null
  withdrawn_at: Timestamp | null
  withdraw_reason: string | null
  withdrawn_after_download: boolean | null
  row_version: Generated<number>
  created_at: Timestamp
}
export interface FileTransferItemTable {
  partnership_id: string
  transfer_id: string
  original_entry_id: string
  copy_entry_id: string | null
}
export interface FileTransferExportTable {
  id: string
  partnership_id: string
  transfer_id: string
  created_by: string
  created_at: Timestamp
  file_name: string
  ciphertext: Buffer
  sha256: string
  downloads: Generated<number>
}
// --- end file transfer ---

// --- Subject access and corrections (issue 6 scope 5, R19; migration 20261129T0600_subject_access) ---
export const SAR_REQUESTERS = ['child', 'parent', 'parental_responsibility'] as const
export type SarRequester = (typeof SAR_REQUESTERS)[number]
export const SAR_ITEM_DECISIONS = ['release', 'release_redacted', 'withhold_exemption', 'withhold_third_party'] as const
export type SarItemDecision = (typeof SAR_ITEM_DECISIONS)[number]
export type SarSourceType = 'agency_record' | 'entry' | 'concern' | 'referral' | 'sharing_decision'
export interface SubjectAccessRequestTable {
  partnership_id: string
  id: string
  agency_id: string
  child_id: string
  requester_relationship: SarRequester
  requester_name: string
  identity_verified: string
  received_on: string
  due_at: Timestamp
  extended_due_at: Timestamp | null
  extension_reason: string | null
  extended_by: string | null
  extended_at: Timestamp | null
  state: Generated<'open' | 'closed'>
  outcome: 'met' | 'met_late' | null
  late_reason: string | null
  logged_by: string
  logged_at: Timestamp
  closed_at: Timestamp | null
  row_version: Generated<number>
}
export interface SubjectAccessItemTable {
  partnership_id: string
  id: string
  request_id: string
  source_type: SarSourceType
  source_id: string
  occurred_at: Timestamp | null
  title: string
  content: string
  proposed_names: Generated<string[]>
  proposed_text: string
  decision: SarItemDecision | null
  released_text: string | null
  decision_reason: string | null
  decided_by: string | null
  decided_at: Timestamp | null
  row_version: Generated<number>
}
export interface SubjectAccessReleaseTable {
  partnership_id: string
  id: string
  request_id: string
  approval_id: string
  requested_by: string
  approved_by: string
  released_at: Timestamp
  released_item_ids: string[]
  withheld: ColumnType<{ id: string; title: string; decision: SarItemDecision }[], string, string>
  content_hash: string
}
export interface SubjectAccessExportTable {
  partnership_id: string
  id: string
  release_id: string
  format: 'json' | 'pdf'
  exported_by: string
  exported_at: Timestamp
}
export interface EntryDisputeTable {
  partnership_id: string
  id: string
  entry_id: string
  child_id: string
  kind: 'dispute' | 'correction'
  raised_by_name: string
  raised_by_relationship: SarRequester
  statement: string
  subject_access_item_id: string | null
  recorded_by: string
  recorded_at: Timestamp
  outcome: 'corrected' | 'not_corrected' | null
  correcting_entry_id: string | null
  response: string | null
  responded_by: string | null
  responded_at: Timestamp | null
  row_version: Generated<number>
}
// --- end subject access ---

// --- bulk export (src/modules/exports) ---
export interface BulkExportTable {
  partnership_id: string
  id: string
  agency_id: string
  child_ids: string[]
  include_concerns: boolean
  purpose: string
  lawful_basis: string
  approval_id: string
  requested_by: string
  requested_at: Timestamp
}
export interface BulkExportDownloadTable {
  partnership_id: string
  id: string
  export_id: string
  downloaded_by: string
  downloaded_at: Timestamp
  items: ColumnType<{ childId: string; entries: number; concerns: number }[], string, string>
  total: number
  content_hash: string
}
// --- end bulk export ---

export interface DB {
  bulk_export: BulkExportTable
  bulk_export_download: BulkExportDownloadTable
  subject_access_request: SubjectAccessRequestTable
  subject_access_item: SubjectAccessItemTable
  subject_access_release: SubjectAccessReleaseTable
  subject_access_export: SubjectAccessExportTable
  entry_dispute: EntryDisputeTable
  file_transfer: FileTransferTable
  file_transfer_item: FileTransferItemTable
  file_transfer_export: FileTransferExportTable
  legal_hold: LegalHoldTable
  retention_report: RetentionReportTable
  retention_action: RetentionActionTable
  passkey: PasskeyTable
  webauthn_challenge: WebauthnChallengeTable
  idempotency_key: IdempotencyKeyTable
  approval_request: ApprovalRequestTable
  entry_visibility_change: EntryVisibilityChangeTable
  access_review: AccessReviewTable
  access_review_decision: AccessReviewDecisionTable
  information_request: InformationRequestTable
  sharing_agreement: SharingAgreementTable
  sharing_agreement_rule: SharingAgreementRuleTable
  sharing_decision: SharingDecisionTable
  partnership_setting: PartnershipSettingTable
  tac: TacTable
  tac_child: TacChildTable
  tac_member: TacMemberTable
  tac_family_member: TacFamilyMemberTable
  level_change: LevelChangeTable
  assessment: AssessmentTable
  assessment_domain: AssessmentDomainTable
  assessment_contribution: AssessmentContributionTable
  meeting: MeetingTable
  meeting_invitee: MeetingInviteeTable
  meeting_decision: MeetingDecisionTable
  plan_outcome: PlanOutcomeTable
  plan_action: PlanActionTable
  plan_version: PlanVersionTable
  review: ReviewTable
  review_score: ReviewScoreTable
  review_action: ReviewActionTable
  cp_enquiry: CpEnquiryTable
  cp_plan: CpPlanTable
  visit: VisitTable
  oversight_note: OversightNoteTable
  exploitation_screening: ExploitationScreeningTable
  mace_referral: MaceReferralTable
  exploitation_link: ExploitationLinkTable
  agency_record: AgencyRecordTable
  link_decision: LinkDecisionTable
  not_same_child: NotSameChildTable
  import_run: ImportRunTable
  import_rejection: ImportRejectionTable
  signal_rule: SignalRuleTable
  risk_signal: RiskSignalTable
  signal_watermark: SignalWatermarkTable
  signal_recheck: SignalRecheckTable
  signal_follow_pending: SignalFollowPendingTable
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
