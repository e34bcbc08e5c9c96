import { sql, type Kysely } from 'kysely'

// Bulk export (issue 6, scope 3: "sealing and unsealing need two people, as do bulk exports"; ASVS 2.3.5).
// - bulk_export: an information governance officer's request to export several children's records held by their
//   agency (the chronology entries; concerns optional), with the purpose, the lawful basis (UK GDPR Art 6) and, on
//   its two-person approval ('bulk_export', subject_type 'export'), the reason. Its decision lives on the approval
//   request; the row itself never changes (append-only).
// - bulk_export_download: each download of an approved export (who, when, how many items for each child, and a
//   hash of what was sent). Append-only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table bulk_export (
  partnership_id uuid not null references partnership(id),
  id uuid not null,
  agency_id uuid not null references agency(id),
  child_ids uuid[] not null,
  include_concerns boolean not null,
  purpose text not null,
  lawful_basis text not null,
  approval_id uuid not null references approval_request(id),
  requested_by uuid not null references membership(id),
  requested_at timestamptz not null,
  primary key (partnership_id, id),
  unique (id),
  unique (approval_id),
  constraint bulk_export_children check (cardinality(child_ids) between 1 and 50),
  constraint bulk_export_purpose check (length(btrim(purpose)) > 0),
  constraint bulk_export_lawful_basis check (lawful_basis in ('6.1.a','6.1.b','6.1.c','6.1.d','6.1.e','6.1.f'))
);
create index bulk_export_agency on bulk_export (partnership_id, agency_id, requested_at desc);
create trigger bulk_export_append_only before update or delete on bulk_export for each row execute function audit_append_only();

create table bulk_export_download (
  partnership_id uuid not null,
  id uuid not null,
  export_id uuid not null,
  downloaded_by uuid not null references membership(id),
  downloaded_at timestamptz not null,
  items jsonb not null,
  total integer not null check (total >= 0),
  content_hash text not null,
  primary key (partnership_id, id),
  unique (id),
  foreign key (partnership_id, export_id) references bulk_export(partnership_id, id)
);
create index bulk_export_download_export on bulk_export_download (partnership_id, export_id, downloaded_at);
create trigger bulk_export_download_append_only before update or delete on bulk_export_download for each row execute function audit_append_only();
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert on bulk_export to teamaround_app;
    grant select, insert on bulk_export_download to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table if exists bulk_export_download;
drop table if exists bulk_export;
`.execute(db)
}
