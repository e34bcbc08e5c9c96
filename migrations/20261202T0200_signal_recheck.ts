import { sql, type Kysely } from 'kysely'

// A merge or a link that moves an agency record's entries to a child keeps when each entry was recorded (it is the
// same entry), so the signal evaluation, which looks at children with newly recorded entries, did not look at the
// child again: a pattern the moved entries complete with the child's own (a police notice and a hospital attendance,
// two strands seen together for the first time) waited for the child's next new entry. Each move now lists the child
// and the entries it brought here; the next evaluation judges them as newly recorded and clears the row. Ids only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table signal_recheck (
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  entry_ids uuid[] not null,
  queued_at timestamptz not null,
  primary key (partnership_id, child_id)
)`.execute(db)
  // the default privileges of the foundation migration cover new tables; granted explicitly as well so the app role
  // can use it whoever ran the migration
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update, delete on signal_recheck to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists signal_recheck`.execute(db)
}
