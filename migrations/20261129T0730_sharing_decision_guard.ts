import { sql, type Kysely } from 'kysely'

// A sharing decision is a record that is never changed nor deleted by the application:
// - retention may replace its free text only with the text it recorded in retention_action in the same transaction,
//   in every one of the five columns (each is empty, or that text) — 20261129T0700 checked only `reasons`;
// - the application role can no longer delete one (it could since 20261129T0400), and a trigger refuses a delete
//   whoever asks (a decision not to share, or to share, stays on the record; a new decision records a change of mind).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create or replace function sharing_decision_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'a sharing decision is never deleted: record a new decision';
  end if;
  if (to_jsonb(new) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     = (to_jsonb(old) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     and exists (select 1 from retention_action r
                 where r.partnership_id = new.partnership_id and r.record_type = 'sharing_decision' and r.record_id = new.id
                   and r.child_id = new.child_id and r.txid = pg_current_xact_id() and r.action = 'anonymised'
                   and r.replacement is not null
                   and new.reasons = r.replacement and new.what = r.replacement
                   and (new.with_other is null or new.with_other = r.replacement)
                   and (new.consent_reason is null or new.consent_reason = r.replacement)
                   and (new.outside_agreement_reason is null or new.outside_agreement_reason = r.replacement)) then
    return new; -- anonymised under retention, recorded in retention_action by this transaction; only the free text changes
  end if;
  raise exception 'a sharing decision is never changed: record a new decision';
end $$;
drop trigger if exists sharing_decision_guard on sharing_decision;
create trigger sharing_decision_guard before update or delete on sharing_decision for each row execute function sharing_decision_guard();
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    revoke delete on sharing_decision from teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
create or replace function sharing_decision_guard() returns trigger language plpgsql as $$
begin
  if (to_jsonb(new) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     = (to_jsonb(old) - array['what','with_other','consent_reason','reasons','outside_agreement_reason'])
     and exists (select 1 from retention_action r
                 where r.partnership_id = new.partnership_id and r.record_type = 'sharing_decision' and r.record_id = new.id
                   and r.child_id = new.child_id and r.txid = pg_current_xact_id() and r.replacement = new.reasons) then
    return new;
  end if;
  raise exception 'a sharing decision is never changed: record a new decision';
end $$;
drop trigger if exists sharing_decision_guard on sharing_decision;
create trigger sharing_decision_guard before update on sharing_decision for each row execute function sharing_decision_guard();
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant delete on sharing_decision to teamaround_app;
  end if;
end $$`.execute(db)
}
