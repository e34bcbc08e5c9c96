import { sql, type Kysely } from 'kysely'

// The front door (issue 3): concerns and their body maps, allegations against staff, DSL triage, consultations,
// contacts and referrals with the front door's checks, decisions, sign-off and challenges; notifications and
// the email outbox; configurable concern categories and levels of need. Every table carries partnership_id.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table team add column is_out_of_hours boolean not null default false;

create table concern_category (
  partnership_id uuid not null references partnership(id),
  code text not null,
  label text not null,
  sort integer not null,
  active boolean not null default true,
  primary key (partnership_id, code)
);

create table need_level (
  partnership_id uuid not null references partnership(id),
  level integer not null check (level between 1 and 6),
  name text not null,
  descriptor text not null,
  examples text not null default '',
  response text not null default '',
  primary key (partnership_id, level)
);

-- One submission can name several children: one concern (and one entry) per child, sharing submission_id.
create table concern (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  submission_id uuid not null,
  child_id uuid not null references child(id),
  agency_id uuid not null references agency(id),
  raised_by_membership_id uuid not null references membership(id),
  category text not null,
  seen_or_heard text not null,
  child_words text,
  occurred_at timestamptz not null,
  location text,
  other_children text,
  immediate_danger boolean not null default false,
  body_map jsonb not null default '[]',
  status text not null default 'open' check (status in ('open','triaged','closed')),
  entry_id uuid references entry(id),
  idempotency_key text,
  created_at timestamptz not null,
  unique (partnership_id, idempotency_key, child_id)
);
create index concern_agency_status on concern (partnership_id, agency_id, status, created_at);
create index concern_child on concern (partnership_id, child_id);

create table concern_link (
  partnership_id uuid not null references partnership(id),
  concern_id uuid not null references concern(id),
  linked_concern_id uuid not null references concern(id),
  linked_by_membership_id uuid not null references membership(id),
  created_at timestamptz not null,
  primary key (partnership_id, concern_id, linked_concern_id),
  check (concern_id <> linked_concern_id)
);

-- Allegations against adults who work with children: to the headteacher or the LADO, never to the person
-- concerned or to ordinary staff. Not a child's chronology entry.
create table allegation (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  agency_id uuid not null references agency(id),
  raised_by_membership_id uuid not null references membership(id),
  about_practitioner_id uuid references practitioner(id),
  about_name text not null,
  about_role text not null,
  what_happened text not null,
  occurred_at timestamptz not null,
  route text not null check (route in ('headteacher','lado')),
  status text not null default 'open' check (status in ('open','referred_to_lado','closed')),
  outcome text,
  idempotency_key text,
  created_at timestamptz not null,
  unique (partnership_id, idempotency_key)
);
create index allegation_agency on allegation (partnership_id, agency_id, status);

create table triage_action (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  concern_id uuid not null references concern(id),
  child_id uuid not null references child(id),
  by_membership_id uuid not null references membership(id),
  actions text[] not null,
  outcome text not null check (outcome in ('monitor','closed','escalated')),
  reasons text not null,
  entry_id uuid references entry(id),
  created_at timestamptz not null
);
create index triage_concern on triage_action (partnership_id, concern_id);

create table consultation (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid references child(id),
  school_agency_id uuid not null references agency(id),
  asked_by_membership_id uuid not null references membership(id),
  social_worker_membership_id uuid references membership(id),
  concern_id uuid references concern(id),
  question text not null,
  advice text,
  next_step text,
  follow_up_on date,
  status text not null default 'asked' check (status in ('asked','answered','closed')),
  entry_id uuid references entry(id),
  created_at timestamptz not null,
  answered_at timestamptz
);
create index consultation_school on consultation (partnership_id, school_agency_id, status);

create table referral (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  submission_id uuid not null,
  child_id uuid not null references child(id),
  kind text not null check (kind in ('contact','referral')),
  source text not null check (source in ('school','police','health','public','other')),
  source_agency_id uuid references agency(id),
  referrer_membership_id uuid references membership(id),
  referrer_name text,
  referrer_contact text,
  recorded_by_membership_id uuid not null references membership(id),
  concern_ids uuid[] not null default '{}',
  reason text not null,
  level_believed integer,
  level_reason text,
  parents_know boolean,
  parents_not_told_reason text,
  urgency text not null check (urgency in ('immediate','today','routine')),
  ppn_reference text,
  out_of_hours boolean not null default false,
  queue_team_id uuid not null references team(id),
  re_referral_of uuid references referral(id),
  status text not null default 'received' check (status in ('received','acknowledged','checks','decided','awaiting_sign_off','closed')),
  received_at timestamptz not null,
  acknowledged_at timestamptz,
  acknowledged_by uuid references membership(id),
  decision text check (decision in ('nfa','advice','early_help','s17','s47','police')),
  rationale text,
  level_found integer,
  decided_by uuid references membership(id),
  decided_at timestamptz,
  needs_sign_off boolean not null default false,
  signed_off_by uuid references membership(id),
  signed_off_at timestamptz,
  sign_off_note text,
  referrer_told_at timestamptz,
  idempotency_key text,
  created_at timestamptz not null,
  unique (partnership_id, idempotency_key, child_id)
);
create index referral_queue on referral (partnership_id, queue_team_id, status, received_at);
create index referral_child on referral (partnership_id, child_id, received_at);
create index referral_referrer on referral (partnership_id, referrer_membership_id);

create table referral_check (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  referral_id uuid not null references referral(id),
  agency text not null,
  finding text not null,
  by_membership_id uuid not null references membership(id),
  created_at timestamptz not null
);
create index referral_check_referral on referral_check (partnership_id, referral_id);

create table challenge (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  referral_id uuid not null references referral(id),
  raised_by_membership_id uuid not null references membership(id),
  reason text not null,
  status text not null default 'open' check (status in ('open','upheld','not_upheld')),
  response text,
  responded_by uuid references membership(id),
  responded_at timestamptz,
  created_at timestamptz not null
);
create index challenge_referral on challenge (partnership_id, referral_id);

-- In-app notifications hold no case narrative: a kind, a link and (for the page) the child id, read through the
-- data layer's reach predicate.
create table notification (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  membership_id uuid not null references membership(id),
  kind text not null,
  child_id uuid references child(id),
  subject_type text,
  subject_id uuid,
  link text not null,
  created_at timestamptz not null,
  read_at timestamptz
);
create index notification_membership on notification (partnership_id, membership_id, read_at, created_at);

-- Email through an outbox, never with personal data in it: "You have a new item in TeamAround".
create table outbox (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  to_address text not null,
  subject text not null,
  body text not null,
  created_at timestamptz not null,
  sent_at timestamptz,
  attempts integer not null default 0
);
create index outbox_unsent on outbox (partnership_id, created_at) where sent_at is null;
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table if exists outbox, notification, challenge, referral_check, referral, consultation, triage_action, allegation,
  concern_link, concern, need_level, concern_category cascade;
alter table team drop column if exists is_out_of_hours;
`.execute(db)
}
