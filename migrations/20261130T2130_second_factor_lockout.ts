import { sql, type Kysely } from 'kysely'

// Consecutive wrong second-factor codes (at sign-in, at enrolment, and wherever the code is asked again), counted on
// the practitioner's account so that the count survives restarts and is shared by every session and server: at
// MAX_FAILED_SECOND_FACTORS the account is locked (locked_until, the password lockout's column). A counter of its
// own, not failed_sign_ins: the right password resets that one, and must not reset this (someone who has the
// password could otherwise sign in again between guesses and never reach the limit); only a second factor that
// succeeds resets it. Existing accounts start at 0.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table practitioner add column failed_second_factors integer not null default 0`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table practitioner drop column if exists failed_second_factors`.execute(db)
}
