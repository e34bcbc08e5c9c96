// A record's id in an address is a UUID, and a UUID's hex digits may be written in either case (RFC 9562: they are
// case-insensitive on input). PostgreSQL's uuid type agrees, so an id typed or pasted in capitals finds the record;
// but the audit names what was looked at by its id as text, and "who looked at this child?" is asked with the id as
// PostgreSQL writes it, in lower case. So an id in capitals must be taken as the same id in lower case before any
// handler sees it: the same answer, and an audit row a search by the child's id finds.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../support/app.ts'
import { sweepChild } from '../support/records.ts'
import { stableUuid } from '../../src/data/ids.ts'

describeApp('ids in an address, in capitals', (ctx) => {
  it('every page about a child answers as for the id in lower case, and audits the id in lower case', async () => {
    const { childId } = await sweepChild(ctx.s)
    const upper = childId.toUpperCase()
    assert.notEqual(upper, childId)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
    const pages = ctx.s.app.routeTable
      .filter((r) => r.method === 'GET' && r.url.startsWith('/children/:childId') && (r.url.match(/:/g) ?? []).length === 1)
      .map((r) => r.url)
    assert.ok(pages.length >= 5, `pages about a child: ${pages.join(', ')}`)
    let ok = 0
    for (const url of pages) {
      const lower = await dsl.get(url.replace(':childId', childId))
      const capitals = await dsl.get(url.replace(':childId', upper))
      assert.equal(capitals.statusCode, lower.statusCode, `${url} in capitals`)
      if (lower.statusCode === 200) ok++
    }
    assert.ok(ok >= 3, `pages the DSL may read: ${ok}`)
    const rows = await ctx.s.t.db
      .selectFrom('audit_event')
      .select(['action', 'entity_id'])
      .where('id', '>', Number(before.id ?? 0))
      .where('entity_id', 'is not', null)
      .execute()
    const named = rows.filter((r) => r.entity_id!.toLowerCase() === childId)
    assert.ok(named.length >= 2 * ok, `audit rows naming the child: ${named.length}`)
    assert.deepEqual(
      named.filter((r) => r.entity_id !== childId),
      [],
      'every audit row names the child by its id in lower case',
    )
  })
})

describeApp('ids in a query string, in capitals', (ctx) => {
  it('a chronology filtered by an agency named in capitals is the one filtered in lower case (not "choose from the list")', async () => {
    const { childId } = await sweepChild(ctx.s)
    const agency = stableUuid('northshire:agency:brookside')
    assert.notEqual(agency.toUpperCase(), agency)
    const dsl = await ctx.s.signIn('dsl.brookside')
    const lower = await dsl.get(`/children/${childId}/chronology?agency=${agency}`)
    const capitals = await dsl.get(`/children/${childId}/chronology?agency=${agency.toUpperCase()}`)
    assert.equal(lower.statusCode, 200)
    assert.equal(capitals.statusCode, 200, 'not refused as an agency not in the list')
    const rows = (body: string) => [...body.matchAll(/href="\/entries\/([0-9a-f-]{36})"/g)].map((m) => m[1])
    assert.ok(rows(lower.body).length > 0, 'the filtered page lists entries')
    assert.deepEqual(rows(capitals.body), rows(lower.body))
    // and the API, an id in capitals in its address
    const api = await dsl.get(`/api/v1/children/${childId.toUpperCase()}/entries?limit=5`)
    assert.equal(api.statusCode, 200)
  })
})
