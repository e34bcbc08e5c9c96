import { sql, type Kysely } from 'kysely'

// Retention (issue 6, scope 6; rule R17: school safeguarding records DOB + 25 years then review; legal hold
// overrides; ASVS 14.2.6–7).
// - legal_hold: information governance places a hold on a child (reason required) and lifts it (reason required);
//   at most one hold on at a time per child; a hold is lifted once and never changed otherwise, never deleted.
// - retention_report: the scheduled job's dry run (what would be anonymised or deleted, per child, with dates and
//   counts), then asked for (a two-person 'retention_delete' approval), then carried out or closed.
// - retention_action: one row per record the job anonymised (append-only; unique per record, so a re-run never acts
//   twice). The entry trigger lets an entry's summary change only when this transaction recorded exactly that here.
// The audit is never touched by retention: audit_event stays append-only (its trigger is unchanged).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table legal_hold (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  reason text not null check (length(btrim(reason)) > 0),
  placed_by uuid not null references membership(id),
  placed_at timestamptz not null,
  lifted_by uuid references membership(id),
  lifted_at timestamptz,
  lift_reason text,
  constraint legal_hold_lifted check ((lifted_at is null) = (lifted_by is null) and (lifted_at is null) = (lift_reason is null)),
  constraint legal_hold_lift_reason check (lift_reason is null or length(btrim(lift_reason)) > 0)
);
create unique index legal_hold_one_on on legal_hold (partnership_id, child_id) where lifted_at is null;
create index legal_hold_child on legal_hold (partnership_id, child_id, placed_at desc);

create function legal_hold_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'a legal hold is kept: lift it instead';
  end if;
  if old.lifted_at is not null then
    raise exception 'a lifted legal hold cannot change';
  end if;
  if (new.id, new.partnership_id, new.child_id, new.reason, new.placed_by, new.placed_at)
     is distinct from (old.id, old.partnership_id, old.child_id, old.reason, old.placed_by, old.placed_at) then
    raise exception 'a legal hold can only be lifted';
  end if;
  return new;
end $$;
create trigger legal_hold_guard before update or delete on legal_hold for each row execute function legal_hold_guard();

create table retention_report (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  created_at timestamptz not null,
  as_of date not null,
  state text not null default 'dry_run',
  items jsonb not null default '[]',
  counts jsonb not null default '{}',
  approval_id uuid references approval_request(id),
  executed_at timestamptz,
  outcome jsonb,
  row_version integer not null default 1,
  constraint retention_report_state check (state in ('dry_run','awaiting_approval','executed','closed','superseded')),
  constraint retention_report_approval check (state not in ('awaiting_approval','executed') or approval_id is not null),
  constraint retention_report_executed check ((state = 'executed') = (executed_at is not null))
);
create index retention_report_partnership on retention_report (partnership_id, created_at desc);
create index retention_report_state on retention_report (partnership_id, state);

create table retention_action (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  report_id uuid not null references retention_report(id),
  child_id uuid not null references child(id),
  record_type text not null check (record_type in ('entry','concern','identity')),
  record_id uuid not null,
  action text not null check (action in ('anonymised','deleted')),
  replacement text,
  acted_at timestamptz not null,
  txid xid8 not null default pg_current_xact_id(),
  unique (partnership_id, record_type, record_id)
);
create index retention_action_child on retention_action (partnership_id, child_id);
create trigger retention_action_append_only before update or delete on retention_action for each row execute function audit_append_only();

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
  if tg_op = 'UPDATE' and old.visibility <> 'sealed'
     and (to_jsonb(new) - 'summary') = (to_jsonb(old) - 'summary')
     and exists (select 1 from retention_action r
                 where r.partnership_id = new.partnership_id and r.record_type = 'entry' and r.record_id = new.id
                   and r.child_id = new.child_id and r.txid = pg_current_xact_id() and r.replacement = new.summary) then
    return new; -- anonymised under retention, recorded in retention_action by this transaction; only the summary changes
  end if;
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update on legal_hold to teamaround_app;
    grant select, insert, update on retention_report to teamaround_app;
    grant select, insert on retention_action to teamaround_app;
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
  if tg_op = 'UPDATE'
     and (to_jsonb(new) - array['visibility','restricted_agency_ids','restricted_roles']) = (to_jsonb(old) - array['visibility','restricted_agency_ids','restricted_roles'])
     and exists (select 1 from entry_visibility_change v
                 where v.entry_id = new.id and v.partnership_id = new.partnership_id and v.txid = pg_current_xact_id()
                   and v.from_visibility = old.visibility and v.from_restricted_agency_ids = old.restricted_agency_ids and v.from_restricted_roles = old.restricted_roles
                   and v.to_visibility = new.visibility and v.to_restricted_agency_ids = new.restricted_agency_ids and v.to_restricted_roles = new.restricted_roles) then
    return new;
  end if;
  raise exception 'entries are immutable: record a correction as a new entry that supersedes this one';
end $$;
drop table if exists retention_action;
drop table if exists retention_report;
drop table if exists legal_hold;
drop function if exists legal_hold_guard;
`.execute(db)
}
