import { sql, type Kysely } from 'kysely'

// An API create's kept answer, sent again for the same key (a replay), was not audited: the answer can name a child
// (a concern's, a referral's), and every look at a child's record is. The key now remembers the request that made it
// and the children that request's audit rows named, so that a replay's own audit row names them too.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table idempotency_key add column request_id text`.execute(db)
  await sql`alter table idempotency_key add column child_ids uuid[] not null default '{}'`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table idempotency_key drop column if exists child_ids`.execute(db)
  await sql`alter table idempotency_key drop column if exists request_id`.execute(db)
}
