// Prepared statements (src/data/db.ts PREPARED): on PostgreSQL a statement marked with the comment runs as a named
// prepared statement — parsed once per connection, then only bound and executed — and gives the same rows as the
// unmarked statement; unmarked statements stay unnamed. On PGlite the marker is only a comment.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { openTestDatabase, testEngines, type TestDb } from '../../test/support/db.ts'

for (const engine of testEngines()) {
  describe(`prepared statements [${engine}]`, () => {
    let t: TestDb
    before(async () => {
      t = await openTestDatabase(engine)
    })
    after(async () => {
      await t?.close()
    })

    it('a marked statement gives the same rows as the unmarked one, every time', async () => {
      const plain = await sql<{ n: number }>`select count(*)::int as n from agency where kind = ${'school'}`.execute(t.db)
      for (let i = 0; i < 8; i++) {
        const marked = await sql<{ n: number }>`/* prepared */ select count(*)::int as n from agency where kind = ${'school'}`.execute(t.db)
        assert.deepEqual(marked.rows, plain.rows)
      }
      const other = await sql<{ n: number }>`/* prepared */ select count(*)::int as n from agency where kind = ${'police'}`.execute(t.db)
      assert.equal(typeof other.rows[0]!.n, 'number')
    })

    it('on PostgreSQL it is a named prepared statement of the connection; an unmarked one is not', { skip: engine === 'pglite' ? 'PostgreSQL only' : false }, async () => {
      // one connection, so the statement and the view are the same session's
      await t.db.connection().execute(async (c) => {
        await sql`/* prepared */ select id from agency where kind = ${'health'}`.execute(c)
        await sql`select id from agency where kind = ${'health'} and true`.execute(c)
        const statements = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(c)
        const mine = statements.rows.filter((r) => r.statement.includes('select id from agency where kind'))
        assert.equal(mine.length, 1)
        assert.match(mine[0]!.name, /^ta_[0-9a-f]{40}$/)
        assert.match(mine[0]!.statement, /^\/\* prepared \*\//)
      })
    })
  })
}
