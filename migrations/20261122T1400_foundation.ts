import { sql, type Kysely } from 'kysely'

// Foundation schema: partnerships, agencies, teams, practitioners, memberships, children, relationships,
// entries (the chronology spine), sessions, the audit log and its seals. Every table carries partnership_id.
// SQL written for PostgreSQL 15 (PGlite embeds 18).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table partnership (
  id uuid primary key,
  partnership_id uuid not null,
  name text not null,
  code text not null unique,
  created_at timestamptz not null,
  check (partnership_id = id)
);

create table agency (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  name text not null,
  kind text not null check (kind in ('school','childrens_social_care','police','health','housing','voluntary','other')),
  description text not null default '',
  phone text,
  email text,
  address text,
  school_start_of_day time,
  created_at timestamptz not null
);
create index agency_partnership on agency (partnership_id);

create table team (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  agency_id uuid not null references agency(id),
  name text not null,
  is_front_door boolean not null default false,
  description text not null default '',
  phone text,
  email text,
  created_at timestamptz not null
);
create index team_agency on team (partnership_id, agency_id);

create table practitioner (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  email text not null,
  given_name text not null,
  family_name text not null,
  job_title text not null default '',
  phone text,
  password_hash text not null,
  totp_secret text,
  totp_enrolled_at timestamptz,
  totp_last_step bigint,
  failed_sign_ins integer not null default 0,
  locked_until timestamptz,
  disabled_at timestamptz,
  created_at timestamptz not null,
  unique (partnership_id, email)
);
create index practitioner_email on practitioner (lower(email));

create table membership (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  practitioner_id uuid not null references practitioner(id),
  agency_id uuid not null references agency(id),
  team_id uuid references team(id),
  role text not null,
  starts_at timestamptz not null,
  ends_at timestamptz,
  created_at timestamptz not null
);
create index membership_practitioner on membership (partnership_id, practitioner_id);
create index membership_team on membership (partnership_id, team_id);

-- A school social worker serves named schools: pupils of those schools are in their reach.
create table membership_school (
  partnership_id uuid not null references partnership(id),
  membership_id uuid not null references membership(id),
  school_agency_id uuid not null references agency(id),
  primary key (partnership_id, membership_id, school_agency_id)
);
create index membership_school_school on membership_school (partnership_id, school_agency_id);

create table child (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  given_name text not null,
  family_name text not null,
  date_of_birth date,
  expected_date_of_birth date,
  sex text not null check (sex in ('female','male','unknown','indeterminate')),
  nhs_number text,
  upn text,
  ethnicity text,
  first_language text,
  interpreter_needed boolean not null default false,
  disability text,
  sen_status text not null default 'none' check (sen_status in ('none','sen_support','ehcp')),
  child_in_need boolean not null default false,
  child_protection_plan boolean not null default false,
  looked_after boolean not null default false,
  provisional boolean not null default false,
  created_at timestamptz not null,
  check (date_of_birth is not null or expected_date_of_birth is not null)
);
create index child_partnership on child (partnership_id);
create index child_nhs on child (partnership_id, nhs_number);

create table child_name (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  kind text not null check (kind in ('alias','previous','preferred','birth')),
  given_name text not null,
  family_name text not null
);
create index child_name_child on child_name (partnership_id, child_id);

create table child_address (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  line1 text not null,
  line2 text,
  town text,
  postcode text,
  from_date date not null,
  to_date date,
  confidential boolean not null default false,
  confidential_reason text,
  -- roles that may see a confidential address (null: not confidential)
  visible_to_roles text[]
);
create index child_address_child on child_address (partnership_id, child_id);

create table family_member (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  related_child_id uuid references child(id),
  name text not null,
  relationship text not null,
  parental_responsibility boolean not null default false,
  same_household boolean not null default false,
  phone text
);
create index family_member_child on family_member (partnership_id, child_id);

create table relationship (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  type text not null check (type in ('pupil_at','agency_record','allocated_worker','front_door_contact','team_member','break_glass','self_claimed')),
  holder_agency_id uuid references agency(id),
  holder_team_id uuid references team(id),
  holder_membership_id uuid references membership(id),
  starts_at timestamptz not null,
  ends_at timestamptz,
  source text not null,
  reason text not null,
  created_by_membership_id uuid references membership(id),
  created_at timestamptz not null,
  check (num_nonnulls(holder_agency_id, holder_team_id, holder_membership_id) = 1)
);
create index relationship_child on relationship (partnership_id, child_id);
create index relationship_holder_membership on relationship (partnership_id, holder_membership_id) where holder_membership_id is not null;
create index relationship_holder_team on relationship (partnership_id, holder_team_id) where holder_team_id is not null;
create index relationship_holder_agency on relationship (partnership_id, holder_agency_id) where holder_agency_id is not null;

create table entry (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  agency_record_id uuid,
  type text not null,
  category text,
  occurred_at timestamptz not null,
  occurred_time_known boolean not null default true,
  recorded_at timestamptz not null,
  author_membership_id uuid references membership(id),
  author_team_id uuid references team(id),
  source_agency_id uuid not null references agency(id),
  significance text not null check (significance in ('low','medium','high','critical')),
  summary text not null,
  detail_type text,
  detail_id uuid,
  visibility text not null check (visibility in ('agency','team','front_door','restricted','sealed')),
  restricted_agency_ids uuid[] not null default '{}',
  restricted_roles text[] not null default '{}',
  addressed_to_membership_id uuid references membership(id),
  supersedes_entry_id uuid references entry(id)
);
create index entry_child on entry (partnership_id, child_id, occurred_at desc);
create index entry_supersedes on entry (partnership_id, supersedes_entry_id) where supersedes_entry_id is not null;

create function entry_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
create trigger entry_no_update before update or delete on entry for each row execute function entry_immutable();

create table session (
  id_hash text primary key,
  partnership_id uuid not null references partnership(id),
  practitioner_id uuid not null references practitioner(id),
  membership_id uuid references membership(id),
  state text not null check (state in ('mfa_enrol','mfa_challenge','active')),
  pending_totp_secret text,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  end_reason text
);
create index session_practitioner on session (partnership_id, practitioner_id) where ended_at is null;

-- The audit log. Rows are inserted in the request's transaction and never updated; the sealer chains them.
create table audit_event (
  id bigint generated always as identity primary key,
  partnership_id uuid not null,
  at timestamptz not null,
  txid xid8 not null default pg_current_xact_id(),
  actor_practitioner_id uuid,
  actor_membership_id uuid,
  actor_kind text not null check (actor_kind in ('practitioner','system','anonymous')),
  action text not null,
  entity_type text,
  entity_id text,
  child_ids uuid[] not null default '{}',
  relationship_id uuid,
  outcome text not null check (outcome in ('success','refused','failure','not_found')),
  request_id text,
  details jsonb not null default '{}'
);
create index audit_event_child on audit_event using gin (child_ids);
create index audit_event_partnership_at on audit_event (partnership_id, at);
create index audit_event_unsealed on audit_event (partnership_id, id);

create table audit_seal (
  partnership_id uuid not null,
  seal_seq bigint not null,
  audit_id bigint not null unique,
  hash text not null,
  sealed_at timestamptz not null,
  primary key (partnership_id, seal_seq)
);

create function audit_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is append-only';
end $$;
create trigger audit_event_append_only before update or delete on audit_event for each row execute function audit_append_only();
create trigger audit_event_no_truncate before truncate on audit_event for each statement execute function audit_append_only();
create trigger audit_seal_append_only before update or delete on audit_seal for each row execute function audit_append_only();
create trigger audit_seal_no_truncate before truncate on audit_seal for each statement execute function audit_append_only();

-- One instance of a job at a time (the sealer, the scheduler), by lease.
create table lease (
  partnership_id uuid not null,
  name text not null,
  holder text not null,
  expires_at timestamptz not null,
  primary key (partnership_id, name)
);
`.execute(db)

  // On PostgreSQL (and PGlite) the app runs as a restricted role that cannot UPDATE or DELETE audit rows.
  await sql`
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    create role teamaround_app nologin;
  end if;
end $$;
`.execute(db)
  await sql`grant usage on schema public to teamaround_app`.execute(db)
  await sql`grant select, insert, update, delete on all tables in schema public to teamaround_app`.execute(db)
  await sql`grant usage on all sequences in schema public to teamaround_app`.execute(db)
  await sql`alter default privileges in schema public grant select, insert, update, delete on tables to teamaround_app`.execute(db)
  await sql`alter default privileges in schema public grant usage on sequences to teamaround_app`.execute(db)
  await sql`revoke update, delete, truncate on audit_event, audit_seal from teamaround_app`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table if exists lease, audit_seal, audit_event, session, entry, relationship, family_member, child_address,
  child_name, child, membership_school, membership, practitioner, team, agency, partnership cascade;
drop function if exists audit_append_only, entry_immutable;
`.execute(db)
}
