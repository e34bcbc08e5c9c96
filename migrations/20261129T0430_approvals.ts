import { sql, type Kysely } from 'kysely'

// Governance (issue 6, scope 3 and 4):
// - approval_request: two-person approval (ASVS 2.3.5) for high-risk actions, generic — sealing and unsealing an
//   entry now; bulk exports, subject-access releases and retention deletions later (a new kind widens the named
//   check constraint, and brings its own rule for who may decide). The requester's and the decider's practitioners
//   are taken from their memberships by a trigger (never from the application), so "a different person" is a
//   database rule: one practitioner acting in two memberships cannot approve their own request. A request is
//   decided once; it is never changed afterwards.
// - entry_visibility_change: every change of an entry's visibility (widened — with its sharing decision —,
//   narrowed, sealed or unsealed — with its approval), what it was and what it became, by whom, when and why.
//   Entries stay immutable: the entry trigger lets only the visibility columns change, and only when this
//   transaction has recorded exactly that change here.
// - an index for verifying the audit chain from a date (the access report verifies its period's seals).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table approval_request (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  kind text not null,
  subject_type text not null,
  subject_ids uuid[] not null,
  child_ids uuid[] not null default '{}',
  payload jsonb not null default '{}',
  reason text not null,
  requested_by uuid not null references membership(id),
  requested_by_practitioner uuid not null references practitioner(id),
  requested_at timestamptz not null,
  state text not null default 'requested',
  decided_by uuid references membership(id),
  decided_by_practitioner uuid references practitioner(id),
  decided_at timestamptz,
  decision_reason text,
  row_version integer not null default 1,
  constraint approval_request_kind check (kind in ('seal_entry','unseal_entry')),
  constraint approval_request_state check (state in ('requested','approved','refused','withdrawn')),
  constraint approval_request_subject check (cardinality(subject_ids) > 0),
  constraint approval_request_reason check (length(btrim(reason)) > 0),
  constraint approval_request_decided check ((state = 'requested') = (decided_at is null) and (state = 'requested') = (decided_by is null)),
  constraint approval_request_two_people check (state not in ('approved','refused') or decided_by_practitioner <> requested_by_practitioner),
  constraint approval_request_withdrawn check (state <> 'withdrawn' or decided_by_practitioner = requested_by_practitioner),
  constraint approval_request_refusal_reason check (state <> 'refused' or length(btrim(coalesce(decision_reason, ''))) > 0)
);
create index approval_request_open on approval_request (partnership_id, state, requested_at);
create index approval_request_requester on approval_request (partnership_id, requested_by, requested_at desc);
create index approval_request_subject on approval_request using gin (subject_ids);
-- one open request of a kind for the same subject at a time
create unique index approval_request_one_open on approval_request (partnership_id, kind, subject_type, subject_ids) where state = 'requested';

create function approval_request_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.state <> 'requested' then
    raise exception 'an approval request is decided once: it cannot change afterwards';
  end if;
  if tg_op = 'UPDATE' and (new.id, new.partnership_id, new.kind, new.subject_type, new.subject_ids, new.child_ids, new.payload, new.reason, new.requested_by, new.requested_at)
     is distinct from (old.id, old.partnership_id, old.kind, old.subject_type, old.subject_ids, old.child_ids, old.payload, old.reason, old.requested_by, old.requested_at) then
    raise exception 'an approval request''s subject and reason cannot change';
  end if;
  new.requested_by_practitioner := (select m.practitioner_id from membership m where m.id = new.requested_by and m.partnership_id = new.partnership_id);
  new.decided_by_practitioner := case when new.decided_by is null then null
    else (select m.practitioner_id from membership m where m.id = new.decided_by and m.partnership_id = new.partnership_id) end;
  if new.requested_by_practitioner is null or (new.decided_by is not null and new.decided_by_practitioner is null) then
    raise exception 'approval request: unknown membership';
  end if;
  return new;
end $$;
create trigger approval_request_guard before insert or update on approval_request for each row execute function approval_request_guard();
create trigger approval_request_no_delete before delete on approval_request for each row execute function audit_append_only();

create table entry_visibility_change (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  entry_id uuid not null references entry(id),
  child_id uuid not null references child(id),
  kind text not null check (kind in ('widen','narrow','seal','unseal')),
  from_visibility text not null check (from_visibility in ('agency','team','front_door','restricted','sealed')),
  from_restricted_agency_ids uuid[] not null default '{}',
  from_restricted_roles text[] not null default '{}',
  to_visibility text not null check (to_visibility in ('agency','team','front_door','restricted','sealed')),
  to_restricted_agency_ids uuid[] not null default '{}',
  to_restricted_roles text[] not null default '{}',
  reason text not null check (length(btrim(reason)) > 0),
  changed_by uuid not null references membership(id),
  changed_at timestamptz not null,
  approval_id uuid references approval_request(id),
  sharing_decision_id uuid references sharing_decision(id),
  txid xid8 not null default pg_current_xact_id(),
  check ((kind in ('seal','unseal')) = (approval_id is not null)),
  check (kind <> 'widen' or sharing_decision_id is not null),
  check ((kind = 'seal') = (to_visibility = 'sealed')),
  check ((kind = 'unseal') = (from_visibility = 'sealed'))
);
create index entry_visibility_change_entry on entry_visibility_change (partnership_id, entry_id, changed_at);
create trigger entry_visibility_change_append_only before update or delete on entry_visibility_change for each row execute function audit_append_only();

create or replace function entry_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.agency_record_id is not null and new.agency_record_id = old.agency_record_id
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id') then
    return new; -- the entry follows its agency record to another child (merge / unmerge); nothing else changes
  end if;
  if tg_op = 'UPDATE'
     and (to_jsonb(new) - array['visibility','restricted_agency_ids','restricted_roles']) = (to_jsonb(old) - array['visibility','restricted_agency_ids','restricted_roles'])
     and exists (select 1 from entry_visibility_change v
                 where v.entry_id = new.id and v.partnership_id = new.partnership_id and v.txid = pg_current_xact_id()
                   and v.from_visibility = old.visibility and v.from_restricted_agency_ids = old.restricted_agency_ids and v.from_restricted_roles = old.restricted_roles
                   and v.to_visibility = new.visibility and v.to_restricted_agency_ids = new.restricted_agency_ids and v.to_restricted_roles = new.restricted_roles) then
    return new; -- a visibility change recorded in entry_visibility_change by this transaction; the content is untouched
  end if;
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;

create index audit_seal_sealed_at on audit_seal (partnership_id, sealed_at);
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update on approval_request to teamaround_app;
    grant select, insert on entry_visibility_change to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
create or replace function entry_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.agency_record_id is not null and new.agency_record_id = old.agency_record_id
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id') then
    return new;
  end if;
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
drop index if exists audit_seal_sealed_at;
drop table if exists entry_visibility_change;
drop table if exists approval_request;
drop function if exists approval_request_guard;
`.execute(db)
}
