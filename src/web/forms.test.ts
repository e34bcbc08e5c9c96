import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_ROW_VERSION, versionField } from './forms.ts'

describe('versionField: a record version sent back by a form', () => {
  it('takes a whole number from its minimum to the largest a PostgreSQL integer holds', () => {
    const v = versionField()
    assert.equal(v.parse('1'), 1)
    assert.equal(v.parse(String(MAX_ROW_VERSION)), 2_147_483_647)
    assert.equal(versionField('Reload', 0).parse('0'), 0)
  })

  it('refuses anything else with its own message, never a number the database would refuse', () => {
    const v = versionField('The form is out of date')
    for (const bad of ['2147483648', '3000000000', '1e309', '1.5', '-1', '0', 'x', '']) {
      const r = v.safeParse(bad)
      assert.equal(r.success, false, bad)
      assert.deepEqual(r.error!.issues.map((i) => i.message), ['The form is out of date'], bad)
    }
  })
})
