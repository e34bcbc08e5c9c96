import { sql, type Kysely } from 'kysely'

// Agency records (issue 4, "one child, one picture"): each agency's own record of a child, linked to the
// partnership's child by the matcher or by a reviewer; the history of every link decision; the pairs a reviewer
// said are not the same child; and CSV import runs with their row-level rejections.
//
// Entries stay immutable with one exception: an entry that came from an agency record follows that record when a
// reviewer merges or unmerges it (only child_id may change, and only for such entries), so an unmerge is exact.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table agency_record (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  agency_id uuid not null references agency(id),
  source_ref text not null,
  given_name text not null,
  family_name text not null,
  date_of_birth date not null,
  sex text not null check (sex in ('female','male','unknown','indeterminate')),
  nhs_number text,
  upn text,
  postcode text,
  address text,
  child_id uuid not null references child(id),
  match_state text not null check (match_state in ('matched','review','new_child','merged_by_reviewer')),
  match_probability double precision,
  match_explanation jsonb,
  review_child_id uuid references child(id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (partnership_id, agency_id, source_ref)
);
create index agency_record_child on agency_record (partnership_id, child_id);
create index agency_record_review on agency_record (partnership_id, match_state) where match_state = 'review';

create table link_decision (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  agency_record_id uuid not null references agency_record(id),
  kind text not null check (kind in ('auto','new_child','review','merge','unmerge','not_same')),
  from_child_id uuid references child(id),
  to_child_id uuid references child(id),
  probability double precision,
  reason text not null,
  decided_by_membership_id uuid references membership(id),
  decided_at timestamptz not null
);
create index link_decision_record on link_decision (partnership_id, agency_record_id, decided_at);

create table not_same_child (
  partnership_id uuid not null references partnership(id),
  agency_record_id uuid not null references agency_record(id),
  child_id uuid not null references child(id),
  reason text not null,
  decided_by_membership_id uuid references membership(id),
  decided_at timestamptz not null,
  primary key (partnership_id, agency_record_id, child_id)
);

create table import_run (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  agency_id uuid not null references agency(id),
  kind text not null check (kind in ('records','entries')),
  file_sha256 text not null,
  file_name text,
  status text not null check (status in ('rejected','running','finished')),
  rows_total integer not null,
  rows_done integer not null default 0,
  rows_rejected integer not null default 0,
  started_by_membership_id uuid references membership(id),
  started_at timestamptz not null,
  finished_at timestamptz,
  unique (partnership_id, agency_id, kind, file_sha256)
);

create table import_rejection (
  partnership_id uuid not null references partnership(id),
  import_run_id uuid not null references import_run(id) on delete cascade,
  row_number integer not null,
  reason text not null,
  primary key (partnership_id, import_run_id, row_number)
);

create index entry_agency_record on entry (partnership_id, agency_record_id) where agency_record_id is not null;

create or replace function entry_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.agency_record_id is not null and new.agency_record_id = old.agency_record_id
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id') then
    return new; -- the entry follows its agency record to another child (merge / unmerge); nothing else changes
  end if;
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
`.execute(db)
  // the default privileges of the foundation migration cover new tables; granted explicitly as well so the app
  // role can use them whoever ran the migration
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update, delete on agency_record, link_decision, not_same_child, import_run, import_rejection to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
create or replace function entry_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
drop index if exists entry_agency_record;
drop table if exists import_rejection, import_run, not_same_child, link_decision, agency_record cascade;
`.execute(db)
}
