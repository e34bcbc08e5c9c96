import { sql, type Kysely } from 'kysely'

// Visits: who recorded a planned (joint) visit and when — either of the two practitioners may — and why a planned
// joint visit was cancelled (a cancellation keeps the plan and its reason; nothing is deleted).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table visit
  add column recorded_by uuid references membership(id),
  add column recorded_at timestamptz,
  add column cancel_reason text;
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table visit
  drop column if exists recorded_by,
  drop column if exists recorded_at,
  drop column if exists cancel_reason;
`.execute(db)
}
