import { sql, type Kysely } from 'kysely'

// Which second factor made a session active ('totp' or 'passkey'): a role that requires a passkey, granted while a
// session made with the code alone is open, takes effect at once — that session ends and the next sign-in asks for
// the passkey (ASVS 8.3.2). Sessions from before this column have none, and count as 'totp'.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table session add column second_factor text check (second_factor in ('totp','passkey'))`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table session drop column if exists second_factor`.execute(db)
}
