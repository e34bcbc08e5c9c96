import { sql, type Kysely } from 'kysely'

// Team Around the Child (issue 5): the team and its members, the family's voices, assessments with
// contributions, meetings with minutes, the joint plan with versions, reviews, level changes, the
// child-protection route (s47 enquiries, CP plans), visits, oversight notes, and exploitation (MACE).
// Every table carries partnership_id; rows that change under several editors carry row_version for
// optimistic concurrency.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table partnership_setting (
  partnership_id uuid not null references partnership(id),
  key text not null,
  value jsonb not null,
  updated_at timestamptz not null,
  updated_by uuid references membership(id),
  primary key (partnership_id, key)
);

create table tac (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  level text not null check (level in ('early_help','child_in_need','child_protection')),
  mace boolean not null default false,
  status text not null default 'open' check (status in ('open','closed')),
  lead_membership_id uuid not null references membership(id),
  started_by_membership_id uuid not null references membership(id),
  started_at timestamptz not null,
  reason text not null,
  next_review_on date,
  plan_version integer not null default 0,
  closed_at timestamptz,
  closure_reason text,
  row_version integer not null default 1,
  created_at timestamptz not null
);

create table tac_child (
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  child_id uuid not null references child(id),
  primary key (tac_id, child_id)
);
create index tac_child_child on tac_child (partnership_id, child_id);

create table tac_member (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  membership_id uuid not null references membership(id),
  team_role text not null,
  duties text not null default '',
  status text not null check (status in ('invited','joined','declined','left')),
  invited_by uuid references membership(id),
  invited_at timestamptz not null,
  joined_at timestamptz,
  left_at timestamptz,
  left_reason text
);
create index tac_member_tac on tac_member (partnership_id, tac_id);
create index tac_member_membership on tac_member (partnership_id, membership_id, status);
create unique index tac_member_current on tac_member (tac_id, membership_id) where status in ('invited','joined');

create table tac_family_member (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  name text not null,
  relationship text not null,
  views text not null default '',
  agreement text not null default 'not_asked' check (agreement in ('agreed','not_agreed','not_asked')),
  agreement_note text,
  recorded_by uuid not null references membership(id),
  recorded_at timestamptz not null,
  row_version integer not null default 1
);
create index tac_family_tac on tac_family_member (partnership_id, tac_id);

create table level_change (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  from_level text,
  to_level text,
  kind text not null check (kind in ('start','step_up','step_down','close','reopen','mace')),
  reason text not null,
  decided_by uuid not null references membership(id),
  decided_at timestamptz not null
);
create index level_change_tac on level_change (partnership_id, tac_id, decided_at);

create table assessment (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  child_id uuid not null references child(id),
  kind text not null check (kind in ('early_help','child_and_family')),
  status text not null default 'in_progress' check (status in ('in_progress','completed')),
  referral_id uuid references referral(id),
  started_at timestamptz not null,
  author_membership_id uuid not null references membership(id),
  child_views text not null default '',
  family_views text not null default '',
  analysis text not null default '',
  recommendation text not null default '',
  factors text[] not null default '{}',
  completed_at timestamptz,
  late_reason text,
  row_version integer not null default 1,
  created_at timestamptz not null
);
create index assessment_tac on assessment (partnership_id, tac_id);
create index assessment_child on assessment (partnership_id, child_id);

create table assessment_domain (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  assessment_id uuid not null references assessment(id),
  domain text not null,
  strengths text not null default '',
  needs text not null default '',
  unique (assessment_id, domain)
);

create table assessment_contribution (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  assessment_id uuid not null references assessment(id),
  membership_id uuid not null references membership(id),
  agency_id uuid not null references agency(id),
  domain text,
  body text not null,
  contributed_at timestamptz not null
);
create index assessment_contribution_assessment on assessment_contribution (partnership_id, assessment_id);

create table meeting (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  kind text not null check (kind in ('team','review','strategy_discussion','icpc','review_conference','core_group','mace_panel')),
  title text not null,
  scheduled_at timestamptz not null,
  mode text not null check (mode in ('in_person','online','phone')),
  place text not null default '',
  agenda text not null default '',
  chair_membership_id uuid not null references membership(id),
  status text not null default 'scheduled' check (status in ('scheduled','held','cancelled')),
  held_at timestamptz,
  minutes text not null default '',
  minutes_status text not null default 'none' check (minutes_status in ('none','draft','approved')),
  minutes_approved_at timestamptz,
  minutes_approved_by uuid references membership(id),
  late_reason text,
  created_by uuid not null references membership(id),
  created_at timestamptz not null,
  row_version integer not null default 1
);
create index meeting_tac on meeting (partnership_id, tac_id, scheduled_at);

create table meeting_invitee (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  meeting_id uuid not null references meeting(id),
  membership_id uuid references membership(id),
  name text not null,
  agency_label text not null default '',
  role_label text not null default '',
  attendance text not null default 'invited' check (attendance in ('invited','present','apologies','absent'))
);
create index meeting_invitee_meeting on meeting_invitee (partnership_id, meeting_id);

create table meeting_decision (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  meeting_id uuid not null references meeting(id),
  body text not null,
  recorded_by uuid not null references membership(id),
  recorded_at timestamptz not null
);
create index meeting_decision_meeting on meeting_decision (partnership_id, meeting_id);

create table plan_outcome (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  child_id uuid references child(id),
  body text not null,
  measure text not null check (measure in ('scale','named')),
  measure_name text,
  sort integer not null default 0,
  removed_at timestamptz,
  row_version integer not null default 1,
  created_at timestamptz not null
);
create index plan_outcome_tac on plan_outcome (partnership_id, tac_id);

create table plan_action (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  outcome_id uuid not null references plan_outcome(id),
  what text not null,
  owner_membership_id uuid references membership(id),
  owner_name text not null,
  owner_agency text not null,
  due_on date not null,
  place text not null default '',
  cost_pence integer check (cost_pence is null or cost_pence >= 0),
  status text not null default 'not_started' check (status in ('not_started','in_progress','done','dropped')),
  meeting_id uuid references meeting(id),
  removed_at timestamptz,
  row_version integer not null default 1,
  created_at timestamptz not null
);
create index plan_action_tac on plan_action (partnership_id, tac_id);

create table plan_version (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  version integer not null,
  snapshot jsonb not null,
  change_summary text not null,
  changed_by uuid not null references membership(id),
  changed_at timestamptz not null,
  unique (tac_id, version)
);

create table review (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  meeting_id uuid references meeting(id),
  held_on date not null,
  plan_version integer not null,
  child_view text not null default '',
  family_view text not null default '',
  summary text not null default '',
  next_review_on date,
  recorded_by uuid not null references membership(id),
  recorded_at timestamptz not null
);
create index review_tac on review (partnership_id, tac_id, held_on);

create table review_score (
  partnership_id uuid not null references partnership(id),
  review_id uuid not null references review(id),
  outcome_id uuid not null references plan_outcome(id),
  score integer not null check (score between 0 and 10),
  note text not null default '',
  primary key (review_id, outcome_id)
);

create table review_action (
  partnership_id uuid not null references partnership(id),
  review_id uuid not null references review(id),
  action_id uuid not null references plan_action(id),
  status text not null check (status in ('not_started','in_progress','done','dropped')),
  overdue boolean not null default false,
  note text not null default '',
  primary key (review_id, action_id)
);

create table cp_enquiry (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  child_id uuid not null references child(id),
  strategy_meeting_id uuid not null references meeting(id),
  strategy_held_at timestamptz not null,
  start_s47 boolean not null,
  decision_reason text not null,
  outcome text check (outcome in ('icpc','no_icpc_cin','no_further_action')),
  outcome_reason text,
  outcome_at timestamptz,
  recorded_by uuid not null references membership(id),
  created_at timestamptz not null
);
create index cp_enquiry_child on cp_enquiry (partnership_id, child_id);

create table cp_plan (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  tac_id uuid not null references tac(id),
  child_id uuid not null references child(id),
  enquiry_id uuid references cp_enquiry(id),
  icpc_meeting_id uuid not null references meeting(id),
  category text not null check (category in ('neglect','physical','sexual','emotional','multiple')),
  started_at timestamptz not null,
  ended_at timestamptz,
  end_reason text,
  created_at timestamptz not null
);
create index cp_plan_child on cp_plan (partnership_id, child_id);

create table visit (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  tac_id uuid references tac(id),
  cp_plan_id uuid references cp_plan(id),
  kind text not null check (kind in ('statutory','joint','other')),
  status text not null check (status in ('planned','done','cancelled')),
  planned_for timestamptz,
  visited_at timestamptz,
  by_membership_id uuid not null references membership(id),
  with_membership_id uuid references membership(id),
  purpose text not null default '',
  child_seen boolean,
  seen_alone boolean,
  not_seen_reason text,
  child_words text not null default '',
  observations text not null default '',
  agreed text not null default '',
  follow_ups text not null default '',
  late_reason text,
  created_at timestamptz not null,
  row_version integer not null default 1
);
create index visit_child on visit (partnership_id, child_id, visited_at);

create table oversight_note (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  tac_id uuid references tac(id),
  kind text not null check (kind in ('oversight','supervision')),
  by_membership_id uuid not null references membership(id),
  at timestamptz not null,
  note text not null,
  decisions text not null default ''
);
create index oversight_child on oversight_note (partnership_id, child_id, at);

create table exploitation_screening (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  by_membership_id uuid not null references membership(id),
  at timestamptz not null,
  scores jsonb not null,
  total integer not null,
  level text not null check (level in ('low','medium','high')),
  rules_version integer not null,
  notes text not null default ''
);
create index exploitation_screening_child on exploitation_screening (partnership_id, child_id, at);

create table mace_referral (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  screening_id uuid references exploitation_screening(id),
  tac_id uuid references tac(id),
  referred_by uuid not null references membership(id),
  referred_at timestamptz not null,
  reason text not null,
  status text not null default 'referred' check (status in ('referred','heard','closed')),
  panel_meeting_id uuid references meeting(id),
  created_at timestamptz not null
);
create index mace_referral_status on mace_referral (partnership_id, status, referred_at);

create table exploitation_link (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  kind text not null check (kind in ('child','peer','adult','place')),
  linked_child_id uuid references child(id),
  label text not null,
  notes text not null default '',
  created_by uuid not null references membership(id),
  created_at timestamptz not null,
  removed_at timestamptz
);
create index exploitation_link_child on exploitation_link (partnership_id, child_id);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists exploitation_link, mace_referral, exploitation_screening, oversight_note, visit, cp_plan, cp_enquiry, review_action, review_score, review, plan_version, plan_action, plan_outcome, meeting_decision, meeting_invitee, meeting, assessment_contribution, assessment_domain, assessment, level_change, tac_family_member, tac_member, tac_child, tac, partnership_setting cascade`.execute(db)
}
