import { sql, type Kysely } from 'kysely'

// Retention covers every record of a child (issue 6, scope 6), not only entries, concerns and the identity:
// - retention_action.record_type admits every type of src/modules/retention/rules.ts (RETENTION_TYPES);
// - a sharing decision is never changed by the application (the app role has no UPDATE on it): retention may replace
//   its free text — only those columns, granted column by column — and a trigger admits that only when this
//   transaction recorded the record in retention_action (as the entry trigger does for entries).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table retention_action drop constraint retention_action_record_type_check;
alter table retention_action add constraint retention_action_record_type_check check (record_type in (
  'entry','concern','referral','consultation','information_request','sharing_decision','assessment','plan',
  'team_around_the_child','cp','visit','missing','exploitation','notice','subject_access','transfer','identity'));

create function sharing_decision_guard() returns trigger language plpgsql as $$
begin
  if (to_jsonb(new) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     = (to_jsonb(old) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     and exists (select 1 from retention_action r
                 where r.partnership_id = new.partnership_id and r.record_type = 'sharing_decision' and r.record_id = new.id
                   and r.child_id = new.child_id and r.txid = pg_current_xact_id() and r.replacement = new.reasons) then
    return new; -- anonymised under retention, recorded in retention_action by this transaction; only the free text changes
  end if;
  raise exception 'a sharing decision is never changed: record a new decision';
end $$;
create trigger sharing_decision_guard before update on sharing_decision for each row execute function sharing_decision_guard();
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant update (what, with_other, consent_reason, reasons, outside_agreement_reason) on sharing_decision to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    revoke update on sharing_decision from teamaround_app;
  end if;
end $$;
drop trigger if exists sharing_decision_guard on sharing_decision;
drop function if exists sharing_decision_guard;
alter table retention_action drop constraint retention_action_record_type_check;
alter table retention_action add constraint retention_action_record_type_check check (record_type in ('entry','concern','identity'));
`.execute(db)
}
