// Configuration: validated once; production refuses to start without its secrets, PostgreSQL and its public address.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from './config.ts'

const production = {
  NODE_ENV: 'production',
  AUDIT_HMAC_KEY: 'a'.repeat(40),
  SESSION_SECRET: 's'.repeat(40),
  DATABASE_URL: 'postgres://app@db.internal:5432/teamaround',
  PUBLIC_ORIGIN: 'https://teamaround.example.gov.uk',
}

describe('configuration', () => {
  it('development runs on embedded PGlite with demo data and development keys', () => {
    const c = loadConfig({})
    assert.equal(c.env, 'development')
    assert.equal(c.database.kind, 'pglite')
    assert.equal(c.seedDemo, true)
    assert.equal(c.audit.hmacKeyIsDevDefault, true)
    assert.equal(c.publicOrigin, undefined)
  })
  it('production starts with everything set, on PostgreSQL, without demo data', () => {
    const c = loadConfig(production)
    assert.equal(c.database.kind, 'postgres')
    assert.equal(c.seedDemo, false)
    assert.equal(c.publicOrigin, 'https://teamaround.example.gov.uk')
    assert.equal(c.databasePoolSize, 10)
    assert.equal(loadConfig({ ...production, DATABASE_POOL_SIZE: '4' }).databasePoolSize, 4)
  })
  it('production refuses to start without each of its settings, naming what is missing', () => {
    for (const key of ['AUDIT_HMAC_KEY', 'SESSION_SECRET', 'DATABASE_URL', 'PUBLIC_ORIGIN'] as const) {
      const { [key]: _gone, ...rest } = production
      assert.throws(() => loadConfig(rest), new RegExp(`refuses to start in production without: ${key}`), key)
    }
  })
  it('production needs an https public address, and no test clock', () => {
    assert.throws(() => loadConfig({ ...production, PUBLIC_ORIGIN: 'http://teamaround.example.gov.uk' }), /PUBLIC_ORIGIN must be an https address/)
    assert.throws(() => loadConfig({ ...production, ENABLE_TEST_CLOCK: 'true' }), /ENABLE_TEST_CLOCK cannot be set in production/)
  })
  it('bad values are refused with the setting named', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/)
    assert.throws(() => loadConfig({ PUBLIC_ORIGIN: 'not a url' }), /PUBLIC_ORIGIN/)
    assert.throws(() => loadConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET must be at least 32 characters/)
    for (const bad of ['0', 'ten', '2.5', '1000']) assert.throws(() => loadConfig({ DATABASE_POOL_SIZE: bad }), /DATABASE_POOL_SIZE/, bad)
  })
})
