import { sql, type Kysely } from 'kysely'

// Subject access and corrections (issue 6, scope 5; rule R19; DPA 2018 Sch 3 Pt 5).
// - Widens the two-person approval kinds: 'sar_release' (this module), 'retention_delete' and 'bulk_export'.
// - subject_access_request: a request by a child, or a parent / person with parental responsibility for them, to the
//   agency (its own data controller) whose information governance officer logged it: who asked, how their identity
//   was verified, received when, due one calendar month later (extendable once by two months for a complex request,
//   with the reason: both due dates kept), and how it was closed (met or met late).
// - subject_access_item: everything the controller holds about the child, collated when the request is logged, one
//   row per item, with the proposed redactions and the IG officer's decision on each: release, release redacted (the
//   redacted text), or withhold (the Sch 3 Pt 5 exemption, or third-party data) with a reason.
// - subject_access_release: the release, once approved by a second IG officer: what was released and withheld, when,
//   by whom, who approved it; subject_access_export: each JSON or PDF export of it.
// - entry_dispute: a dispute of, or request to correct, an entry, recorded beside it (the entry never changes),
//   and the response: corrected by a new superseding entry, or not corrected with the reasons.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table approval_request drop constraint approval_request_kind;
alter table approval_request add constraint approval_request_kind
  check (kind in ('seal_entry','unseal_entry','sar_release','retention_delete','bulk_export'));

create table subject_access_request (
  partnership_id uuid not null references partnership(id),
  id uuid not null,
  agency_id uuid not null references agency(id),
  child_id uuid not null references child(id),
  requester_relationship text not null check (requester_relationship in ('child','parent','parental_responsibility')),
  requester_name text not null check (length(btrim(requester_name)) > 0),
  identity_verified text not null check (length(btrim(identity_verified)) > 0),
  received_on date not null,
  due_at timestamptz not null,
  extended_due_at timestamptz,
  extension_reason text,
  extended_by uuid references membership(id),
  extended_at timestamptz,
  state text not null default 'open' check (state in ('open','closed')),
  outcome text check (outcome in ('met','met_late')),
  late_reason text,
  logged_by uuid not null references membership(id),
  logged_at timestamptz not null,
  closed_at timestamptz,
  row_version integer not null default 1,
  primary key (partnership_id, id),
  unique (id),
  check ((extended_due_at is null) = (extension_reason is null) and (extended_due_at is null) = (extended_by is null)),
  check (extension_reason is null or length(btrim(extension_reason)) > 0),
  check ((state = 'closed') = (outcome is not null) and (state = 'closed') = (closed_at is not null)),
  check (outcome is distinct from 'met_late' or length(btrim(coalesce(late_reason, ''))) > 0)
);
create index subject_access_request_open on subject_access_request (partnership_id, agency_id, state, due_at);

create table subject_access_item (
  partnership_id uuid not null,
  id uuid not null,
  request_id uuid not null,
  source_type text not null check (source_type in ('agency_record','entry','concern','referral','sharing_decision')),
  source_id uuid not null,
  occurred_at timestamptz,
  title text not null,
  content text not null,
  proposed_names text[] not null default '{}',
  proposed_text text not null,
  decision text check (decision in ('release','release_redacted','withhold_exemption','withhold_third_party')),
  released_text text,
  decision_reason text,
  decided_by uuid references membership(id),
  decided_at timestamptz,
  row_version integer not null default 1,
  primary key (partnership_id, id),
  unique (id),
  unique (partnership_id, request_id, source_type, source_id),
  foreign key (partnership_id, request_id) references subject_access_request(partnership_id, id),
  check ((decision is null) = (decided_at is null) and (decision is null) = (decided_by is null)),
  check (decision is distinct from 'release_redacted' or length(btrim(coalesce(released_text, ''))) > 0),
  check (decision not in ('withhold_exemption','withhold_third_party') or (length(btrim(coalesce(decision_reason, ''))) > 0 and released_text is null))
);

create table subject_access_release (
  partnership_id uuid not null,
  id uuid not null,
  request_id uuid not null,
  approval_id uuid not null references approval_request(id),
  requested_by uuid not null references membership(id),
  approved_by uuid not null references membership(id),
  released_at timestamptz not null,
  released_item_ids uuid[] not null,
  withheld jsonb not null,
  content_hash text not null,
  primary key (partnership_id, id),
  unique (id),
  unique (partnership_id, request_id),
  foreign key (partnership_id, request_id) references subject_access_request(partnership_id, id)
);

create table subject_access_export (
  partnership_id uuid not null,
  id uuid not null,
  release_id uuid not null,
  format text not null check (format in ('json','pdf')),
  exported_by uuid not null references membership(id),
  exported_at timestamptz not null,
  primary key (partnership_id, id),
  foreign key (partnership_id, release_id) references subject_access_release(partnership_id, id)
);
create trigger subject_access_release_no_delete before update or delete on subject_access_release for each row execute function audit_append_only();
create trigger subject_access_export_no_delete before update or delete on subject_access_export for each row execute function audit_append_only();

create table entry_dispute (
  partnership_id uuid not null references partnership(id),
  id uuid not null,
  entry_id uuid not null references entry(id),
  child_id uuid not null references child(id),
  kind text not null check (kind in ('dispute','correction')),
  raised_by_name text not null check (length(btrim(raised_by_name)) > 0),
  raised_by_relationship text not null check (raised_by_relationship in ('child','parent','parental_responsibility')),
  statement text not null check (length(btrim(statement)) > 0),
  subject_access_item_id uuid references subject_access_item(id),
  recorded_by uuid not null references membership(id),
  recorded_at timestamptz not null,
  outcome text check (outcome in ('corrected','not_corrected')),
  correcting_entry_id uuid references entry(id),
  response text,
  responded_by uuid references membership(id),
  responded_at timestamptz,
  row_version integer not null default 1,
  primary key (partnership_id, id),
  unique (id),
  check ((outcome is null) = (responded_at is null) and (outcome is null) = (responded_by is null)),
  check ((outcome = 'corrected') = (correcting_entry_id is not null)),
  check (outcome is distinct from 'not_corrected' or length(btrim(coalesce(response, ''))) > 0)
);
create index entry_dispute_entry on entry_dispute (partnership_id, entry_id);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table entry_dispute;
drop table subject_access_export;
drop table subject_access_release;
drop table subject_access_item;
drop table subject_access_request;
alter table approval_request drop constraint approval_request_kind;
alter table approval_request add constraint approval_request_kind check (kind in ('seal_entry','unseal_entry'));
`.execute(db)
}
