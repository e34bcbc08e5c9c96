import { sql, type Kysely } from 'kysely'

// An idempotency key belongs to the practitioner (membership) who first used it. The concern, referral and
// Operation Encompass keys were unique across the partnership, while each replay looked the key up for the one
// membership (or, for Encompass, for anyone): a second practitioner who happened to send another's key saved nothing
// (a concern), failed (a referral) or was shown the first practitioner's notice (Encompass). Clients choose their
// keys independently, so the key space is now each practitioner's own: unique per (partnership, membership that
// made it, key, child), the membership before the key as in sharing_decision_idempotency.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table concern drop constraint concern_partnership_id_idempotency_key_child_id_key;
create unique index concern_idempotency on concern (partnership_id, raised_by_membership_id, idempotency_key, child_id);
alter table referral drop constraint referral_partnership_id_idempotency_key_child_id_key;
create unique index referral_idempotency on referral (partnership_id, recorded_by_membership_id, idempotency_key, child_id);
alter table encompass_notice drop constraint encompass_notice_partnership_id_idempotency_key_child_id_key;
create unique index encompass_notice_idempotency on encompass_notice (partnership_id, recorded_by_membership_id, idempotency_key, child_id);
`.execute(db)
}

// (fails if two practitioners have since used the same key: their records are both kept)
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop index if exists encompass_notice_idempotency;
alter table encompass_notice add constraint encompass_notice_partnership_id_idempotency_key_child_id_key unique (partnership_id, idempotency_key, child_id);
drop index if exists referral_idempotency;
alter table referral add constraint referral_partnership_id_idempotency_key_child_id_key unique (partnership_id, idempotency_key, child_id);
drop index if exists concern_idempotency;
alter table concern add constraint concern_partnership_id_idempotency_key_child_id_key unique (partnership_id, idempotency_key, child_id);
`.execute(db)
}
