import { sql, type Kysely } from 'kysely'

// The partnership's settings screens (issue 5): each setting row carries row_version, so two administrators
// changing the same setting at once never silently overwrite each other (a stale version is refused and shown).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table partnership_setting add column row_version integer not null default 1;`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table partnership_setting drop column if exists row_version;`.execute(db)
}
