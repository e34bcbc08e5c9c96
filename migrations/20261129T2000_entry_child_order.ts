import { sql, type Kysely } from 'kysely'

// A child's entries are read newest first (the chronology's pages, the child page's latest): by when they happened,
// then by when they were recorded, then by id, so that pages never overlap or skip. With all three in the index, a
// page is read in the index's own order and stops once it has its entries, instead of sorting all of the child's
// entries for every page. It replaces the index on (partnership, child, occurred_at), whose every use it serves.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index entry_child_order on entry (partnership_id, child_id, occurred_at desc, recorded_at desc, id)`.execute(db)
  await sql`drop index entry_child`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index entry_child on entry (partnership_id, child_id, occurred_at desc)`.execute(db)
  await sql`drop index entry_child_order`.execute(db)
}
