import { sql, type Kysely } from 'kysely'

// A risk signal names the entries that caused it. When a merge or an unmerge moved an agency record's entries to
// another child, the signals naming them stayed on the child they had left — after a merge, on a child that no longer
// exists as such, routed to nobody who works with the child the entries went to. A signal now follows its entries
// when all of them are on the other child (moveRecord in src/modules/records/repository.ts; signalsFollowEntries in
// src/modules/signals/routing.ts), and its own entry in the chronology (type 'signal', detail_type 'risk_signal') goes
// with it. Entries are immutable, so the trigger now also admits this one change: a signal's entry's child follows
// its signal, once the signal is on the new child, and nothing else changes.
/** The trigger function as 20261130T1110_corrections_follow left it, with the signal entry's move admitted or not. */
function entryImmutable(signalsFollow: boolean) {
  const follow = signalsFollow
    ? sql`
  if tg_op = 'UPDATE' and old.detail_type = 'risk_signal' and old.type = 'signal'
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id')
     and exists (select 1 from risk_signal s where s.partnership_id = new.partnership_id and s.id = new.detail_id and s.child_id = new.child_id) then
    return new; -- a signal's entry follows its signal, already moved to that child (merge / unmerge); nothing else changes
  end if;
`
    : sql``
  return sql`
create or replace function entry_immutable() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.agency_record_id is not null and new.agency_record_id = old.agency_record_id
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id') then
    return new; -- the entry follows its agency record to another child (merge / unmerge); nothing else changes
  end if;
  if tg_op = 'UPDATE' and old.supersedes_entry_id is not null
     and (to_jsonb(new) - 'child_id') = (to_jsonb(old) - 'child_id')
     and exists (select 1 from entry o where o.partnership_id = new.partnership_id and o.id = new.supersedes_entry_id and o.child_id = new.child_id) then
    return new; -- a correction follows the entry it corrects, already moved to that child (merge / unmerge); nothing else changes
  end if;${follow}
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
`
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await entryImmutable(true).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await entryImmutable(false).execute(db)
}
