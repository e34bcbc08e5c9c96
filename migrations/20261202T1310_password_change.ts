import { sql, type Kysely } from 'kysely'

// A practitioner an administrator creates signs in first with a temporary password the administrator was shown. Until
// now it stayed their password for good, and nobody could change a password at all. A practitioner now changes their
// own (`/account/password`), and one created with a temporary password must before anything else.
// Existing practitioners are not made to: their passwords were not issued through the administrator's page.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table practitioner add column must_change_password boolean not null default false`.execute(db)
  await sql`alter table practitioner add column password_changed_at timestamptz`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table practitioner drop column if exists password_changed_at`.execute(db)
  await sql`alter table practitioner drop column if exists must_change_password`.execute(db)
}
