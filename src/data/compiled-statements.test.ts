import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompiledQuery } from 'kysely'
import { actorKey, statementCache } from './compiled-statements.ts'
import type { Actor } from './actor.ts'

describe('statements compiled once and filled in per request', () => {
  const slots = { child: '\u0000child', now: new Date(0), ids: [] as string[] }

  it('builds once per key; each fill puts the request’s values in place of the stand-ins and keeps the others', () => {
    const cache = statementCache(slots)
    let builds = 0
    const build = (s: typeof slots) => {
      builds++
      return CompiledQuery.raw('select $1, $2, $3, $4, $5', ['actor-agency', s.child, s.now, s.ids, s.child])
    }
    const at = new Date('2026-11-29T10:00:00Z')
    const a = cache.fill('actor-1', build, { child: 'c-1', now: at, ids: ['x', 'y'] })
    const b = cache.fill('actor-1', build, { child: 'c-2', now: at, ids: [] })
    assert.equal(builds, 1)
    assert.equal(a.sql, b.sql)
    assert.deepEqual(a.parameters, ['actor-agency', 'c-1', at, ['x', 'y'], 'c-1'])
    assert.deepEqual(b.parameters, ['actor-agency', 'c-2', at, [], 'c-2'])
    cache.fill('actor-2', build, { child: 'c-3', now: at, ids: [] })
    assert.equal(builds, 2)
    assert.equal(cache.size, 2)
  })

  it('a stand-in turned into another value on the way (JSON made from it) is refused when built, as it would never be replaced', () => {
    const cache = statementCache(slots)
    assert.throws(() => cache.fill('k', (s) => CompiledQuery.raw('select $1::jsonb', [JSON.stringify({ child: s.child })]), { child: 'c', now: new Date(), ids: [] }), /stand-in was changed/)
    assert.equal(cache.size, 0)
  })

  it('keeps at most max statements, dropping the least recently used', () => {
    const cache = statementCache(slots, 2)
    let builds = 0
    const build = (s: typeof slots) => {
      builds++
      return CompiledQuery.raw('select $1', [s.child])
    }
    const v = { child: 'c', now: new Date(), ids: [] }
    cache.fill('a', build, v)
    cache.fill('b', build, v)
    cache.fill('a', build, v) // a is now the most recent
    cache.fill('c', build, v) // drops b
    assert.equal(cache.size, 2)
    assert.equal(builds, 3)
    cache.fill('a', build, v)
    assert.equal(builds, 3)
    cache.fill('b', build, v)
    assert.equal(builds, 4)
  })

  it('stand-ins must be distinct, and a string stand-in must begin with a NUL', () => {
    const d = new Date(0)
    assert.throws(() => statementCache({ a: d, b: d }), /distinct/)
    assert.throws(() => statementCache({ a: 'child' }), /NUL/)
  })

  it('the actor part of a key differs when anything the access predicates read differs, and not for the request id', () => {
    const a: Actor = { kind: 'practitioner', partnershipId: 'p', practitionerId: 'x', membershipId: 'm', agencyId: 'a', teamId: null, role: 'teacher', requestId: 'r1' }
    assert.equal(actorKey(a), actorKey({ ...a, requestId: 'r2' }))
    for (const other of [{ partnershipId: 'q' }, { practitionerId: 'y' }, { membershipId: 'n' }, { agencyId: 'b' }, { teamId: 't' }, { role: 'dsl' as const }]) {
      assert.notEqual(actorKey(a), actorKey({ ...a, ...other }), JSON.stringify(other))
    }
  })
})
