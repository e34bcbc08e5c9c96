import { sql, type Kysely } from 'kysely'

// A practitioner's running break-glass accesses are read with their session on every request (the banner on a
// child's pages), instead of a query of their own on each child page. A membership can hold thousands of
// relationships (an allocated worker's, a team's), of which break-glass ones are few: this partial index finds
// those alone.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index relationship_break_glass on relationship (partnership_id, holder_membership_id, ends_at) where type = 'break_glass'`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists relationship_break_glass`.execute(db)
}
