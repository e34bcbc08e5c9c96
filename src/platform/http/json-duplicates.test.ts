import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import * as jsonc from 'jsonc-parser'
import { duplicateKey, TOKEN } from './json-duplicates.ts'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** A key as JSON text, each character written plainly or as a \u escape: the same key either way. */
const keyText = (key: string, escape: boolean) => (escape ? `"${[...key].map((c) => Array.from(c, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"` : JSON.stringify(key))

/**
 * The value as JSON text with, in the `target`-th non-empty object (in text order), one of its keys written a second
 * time at the object's end; the expected path of that key (null when there are fewer such objects).
 */
function withDuplicate(value: Json, target: number, pick: number, escape: boolean): { text: string; path: (string | number)[] | null } {
  let seen = 0
  let path: (string | number)[] | null = null
  const write = (v: Json, at: (string | number)[]): string => {
    if (Array.isArray(v)) return `[${v.map((x, i) => write(x, [...at, i])).join(',')}]`
    if (v && typeof v === 'object') {
      const keys = Object.keys(v)
      const parts = keys.map((k) => `${JSON.stringify(k)}:${write(v[k]!, [...at, k])}`)
      if (keys.length && seen++ === target) {
        const key = keys[pick % keys.length]!
        path = [...at, key]
        parts.push(` ${keyText(key, escape)} : null`)
      }
      return `{${parts.join(',')}}`
    }
    return JSON.stringify(v)
  }
  const text = write(value, [])
  return { text, path }
}

describe('a JSON body with a key twice in one object', () => {
  it('jsonc-parser still numbers its tokens as the scanner here expects', () => {
    const kinds = (jsonc as unknown as { SyntaxKind: Record<string, number> }).SyntaxKind
    for (const [name, code] of Object.entries(TOKEN)) assert.equal(kinds[name], code, name)
  })

  it('is found at the top level and at any depth, named by its path; the same key in other objects is not a repeat', () => {
    const cases: [string, (string | number)[] | null][] = [
      ['{"childId":"a","childId":"b"}', ['childId']],
      ['{"a":{"b":1,"c":2,"b":3}}', ['a', 'b']],
      ['{"list":[{"x":1},{"y":1,"y":2}]}', ['list', 1, 'y']],
      ['[[{"k":1}],[{"k":1,"k":1}]]', [1, 0, 'k']],
      ['{"a":1,"\\u0061":2}', ['a']],
      ['{"a\\"b":1,"a\\u0022b":2}', ['a"b']],
      ['{ "a" : 1 ,\n  "a" : 2 }', ['a']],
      ['{"":1,"":2}', ['']],
      // only keys count: a key's name as a value, the same key in sibling and nested objects
      ['{"a":"a","b":["a","a"],"c":{"a":{"a":1}},"d":[{"a":1},{"a":1}]}', null],
      ['{"a":1,"A":2,"a ":3}', null],
      ['{"a":{"b":1},"b":{"a":1}}', null],
      ['["x","x"]', null],
      ['"a,{"', null],
      ['{}', null],
    ]
    for (const [text, expected] of cases) assert.deepEqual(duplicateKey(text), expected, text)
  })

  it('a body nested thousands of levels deep is walked without recursion (the depth rule refuses it later)', () => {
    const n = 200_000
    assert.equal(duplicateKey(`${'['.repeat(n)}${']'.repeat(n)}`), null)
    assert.equal(duplicateKey(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`), null)
    assert.deepEqual(duplicateKey(`${'{"a":'.repeat(n)}{"b":1,"b":2}${'}'.repeat(n)}`)?.length, n + 1)
  })

  it('finds exactly the key written twice, in any JSON, and nothing in JSON that JSON.stringify wrote', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(20), fc.nat(), fc.boolean(), (value, target, pick, escape) => {
        const v = value as Json
        assert.equal(duplicateKey(JSON.stringify(v)), null)
        assert.equal(duplicateKey(JSON.stringify(v, null, 2)), null)
        const { text, path } = withDuplicate(v, target, pick, escape)
        JSON.parse(text)
        assert.deepEqual(duplicateKey(text), path)
      }),
      { numRuns: 2000 },
    )
  })
})
