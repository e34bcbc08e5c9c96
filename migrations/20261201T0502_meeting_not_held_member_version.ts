import { sql, type Kysely } from 'kysely'

// A meeting whose start time has passed without it taking place is recorded as such, not "cancelled" as if it were
// still to come: it stays a cancelled meeting (status 'cancelled', so every guard that stops work on a cancelled
// meeting still holds), and cancelled_at says when that was recorded — at or after the start, the meeting did not take
// place; before it, it was called off. Meetings cancelled before this column existed keep a null (shown as cancelled).
//
// A member's role and duties in a team carry row_version, as the team's other edited rows do (family members,
// outcomes, actions): a save from a form opened before someone else's save is refused with both versions.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table meeting add column cancelled_at timestamptz`.execute(db)
  await sql`alter table tac_member add column row_version integer not null default 1`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tac_member drop column if exists row_version`.execute(db)
  await sql`alter table meeting drop column if exists cancelled_at`.execute(db)
}
