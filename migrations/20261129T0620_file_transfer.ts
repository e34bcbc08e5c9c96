import { sql, type Kysely } from 'kysely'

// Child-protection file transfer between schools (issue 6, scope 7; rule R9, KCSIE). One row per transfer: the old
// school's DSL (or deputy) sends the child's safeguarding file — separate from the pupil file — to the new school's
// DSLs in the partnership, or as an encrypted export to a school outside it. The R9 clock (5 school days on the
// sending school's calendar) runs from `clock_starts_on`; receipt (confirmed by the new school's DSL in the
// partnership, or recorded by the old DSL from the outside school's confirmation) stops it.
//
// file_transfer_item: the entries of the file, fixed when the transfer starts (the old school's own `team` and
// `agency` entries of the child), and — once received in the partnership — the copy of each in the new school's
// agency record (entries are immutable: the copy links back to its original here).
// file_transfer_export: each encrypted export made for an outside school (the ciphertext only; the passphrase is
// never stored), with its downloads audited.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table file_transfer (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  from_agency_id uuid not null references agency(id),
  destination text not null check (destination in ('partnership','outside')),
  to_agency_id uuid references agency(id),
  to_school_name text,
  to_school_contact text,
  left_on date not null,
  starts_on date,
  clock_starts_on date not null,
  new_term boolean not null,
  due_at timestamptz not null,
  escalate_to_membership_id uuid references membership(id),
  note text,
  started_by uuid not null references membership(id),
  started_at timestamptz not null,
  sharing_decision_id uuid not null,
  status text not null default 'sent' check (status in ('sent','received')),
  received_by uuid references membership(id),
  received_at timestamptz,
  confirmed_by_name text,
  confirmed_by_role text,
  late_reason text,
  received_agency_record_id uuid references agency_record(id),
  old_school_keeps text check (old_school_keeps in ('all','none_after_receipt')),
  row_version integer not null default 1,
  created_at timestamptz not null,
  check ((destination = 'partnership') = (to_agency_id is not null)),
  check (destination = 'partnership' or to_school_name is not null),
  check (status <> 'received' or (received_by is not null and received_at is not null)),
  check (destination = 'partnership' or status <> 'received' or confirmed_by_name is not null)
);
create index file_transfer_incoming on file_transfer (partnership_id, to_agency_id, status, due_at);
create index file_transfer_outgoing on file_transfer (partnership_id, from_agency_id, status, due_at);
create index file_transfer_child on file_transfer (partnership_id, child_id);

create table file_transfer_item (
  partnership_id uuid not null references partnership(id),
  transfer_id uuid not null references file_transfer(id),
  original_entry_id uuid not null,
  copy_entry_id uuid,
  primary key (partnership_id, transfer_id, original_entry_id)
);

create table file_transfer_export (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  transfer_id uuid not null references file_transfer(id),
  created_by uuid not null references membership(id),
  created_at timestamptz not null,
  file_name text not null,
  ciphertext bytea not null,
  sha256 text not null,
  downloads integer not null default 0
);
create index file_transfer_export_transfer on file_transfer_export (partnership_id, transfer_id, created_at);
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update on file_transfer, file_transfer_item, file_transfer_export to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists file_transfer_export, file_transfer_item, file_transfer cascade`.execute(db)
}
