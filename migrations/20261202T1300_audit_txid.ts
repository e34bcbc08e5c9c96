import { sql, type Kysely } from 'kysely'

// The sealer takes an audit row once its transaction id (`txid`) is below every transaction still running. The column
// only defaulted to the inserting transaction's id, so an insert that named its own — a far-future txid — wrote a row
// the sealer would never take, and, dated in the future, the verifier would never flag as left unsealed. The id is now
// always the inserting transaction's: a trigger sets it, whatever the insert says. (A restore, which replays rows with
// triggers off, keeps the ids it restores.)
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create or replace function audit_event_txid() returns trigger language plpgsql as $$
begin
  new.txid := pg_current_xact_id();
  return new;
end
$$`.execute(db)
  await sql`create trigger audit_event_txid before insert on audit_event for each row execute function audit_event_txid()`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists audit_event_txid on audit_event`.execute(db)
  await sql`drop function if exists audit_event_txid()`.execute(db)
}
