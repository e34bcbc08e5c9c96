// The only reader of process.env. Validated once; fails fast with a clear message.
import { z } from 'zod'
import path from 'node:path'

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : ['true', '1', 'yes'].includes(v)))

/**
 * PostgreSQL connections in the pool unless configured (DATABASE_POOL_SIZE). On the benchmark machine (2 cores) 10
 * used less of PostgreSQL's CPU per concern than 20 and posted as many or more (bench/README.md); the usual rule is
 * a few connections per database core, since more only wait inside PostgreSQL.
 */
export const DEFAULT_POOL_SIZE = 10

const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('localhost'),
  /** The address people use (e.g. https://teamaround.example.gov.uk): passkeys are bound to it. */
  PUBLIC_ORIGIN: z.string().url().optional(),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_URL_TEST: z.string().url().optional(),
  /** Connections to PostgreSQL (the pool's most). A few per database core: more only queue inside PostgreSQL. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(DEFAULT_POOL_SIZE),
  PGLITE_DIR: z.string().default('./data/pglite'),
  AUDIT_HMAC_KEY: z.string().min(32, 'AUDIT_HMAC_KEY must be at least 32 characters').optional(),
  AUDIT_CHECKPOINT_PATH: z.string().default('./data/audit-checkpoints.log'),
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  SEED_DEMO: bool,
  SEAL_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  SIGN_IN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Test-only: lets a browser test move the business clock. Refused in production. */
  ENABLE_TEST_CLOCK: bool,
  TEST_TEMPLATE_DIR: z.string().optional(),
  TEST_PG_TEMPLATE_DB: z.string().optional(),
})

export type Config = {
  env: 'production' | 'development' | 'test'
  port: number
  host: string
  /** Passkeys' origin and RP ID; required (https) in production; unset elsewhere: the request's own host */
  publicOrigin?: string
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string }
  /** PostgreSQL connections in the pool (PGlite has one) */
  databasePoolSize: number
  audit: { hmacKey: string; checkpointPath: string; sealIntervalMs: number; hmacKeyIsDevDefault: boolean }
  sessionSecret: string
  seedDemo: boolean
  /** sign-in and second-factor attempts per address (and per session) per minute */
  signInRateLimit: number
  logLevel: string
  /** Chromium for PDF exports (printed from the same HTML the viewer is entitled to) */
  chromiumPath: string
  enableTestClock: boolean
  test: { databaseUrl?: string; templateDir?: string; pgTemplateDb?: string }
}

const DEV_AUDIT_KEY = 'dev-only-audit-hmac-key-not-for-production-use-000'
const DEV_SESSION_SECRET = 'dev-only-session-secret-not-for-production-use-0000'

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`TeamAround configuration is not valid:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  if (production) {
    const missing = [
      !e.AUDIT_HMAC_KEY && 'AUDIT_HMAC_KEY (the key for audit checkpoints)',
      !e.SESSION_SECRET && 'SESSION_SECRET',
      !e.DATABASE_URL && 'DATABASE_URL (production runs on PostgreSQL; embedded PGlite is for evaluation only)',
      // passkeys are bound to it, and a production server must never take its own address from a request's Host header
      !e.PUBLIC_ORIGIN && 'PUBLIC_ORIGIN (the https address people use, e.g. https://teamaround.example.gov.uk)',
    ].filter(Boolean)
    if (missing.length) throw new Error(`TeamAround refuses to start in production without: ${missing.join(', ')}`)
    if (e.ENABLE_TEST_CLOCK) throw new Error('ENABLE_TEST_CLOCK cannot be set in production')
    if (e.PUBLIC_ORIGIN && new URL(e.PUBLIC_ORIGIN).protocol !== 'https:') throw new Error('PUBLIC_ORIGIN must be an https address in production')
  }
  const database: Config['database'] = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL }
    : { kind: 'pglite', dir: path.resolve(e.PGLITE_DIR) }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicOrigin: e.PUBLIC_ORIGIN,
    database,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    audit: {
      hmacKey: e.AUDIT_HMAC_KEY ?? DEV_AUDIT_KEY,
      hmacKeyIsDevDefault: !e.AUDIT_HMAC_KEY,
      checkpointPath: path.resolve(e.AUDIT_CHECKPOINT_PATH),
      sealIntervalMs: e.SEAL_INTERVAL_MS,
    },
    sessionSecret: e.SESSION_SECRET ?? DEV_SESSION_SECRET,
    // Demo data (known passwords and TOTP secrets) only in embedded mode, unless explicitly asked for.
    seedDemo: e.SEED_DEMO ?? database.kind === 'pglite',
    signInRateLimit: e.SIGN_IN_RATE_LIMIT,
    logLevel: e.LOG_LEVEL,
    chromiumPath: e.CHROMIUM_PATH,
    enableTestClock: !production && (e.ENABLE_TEST_CLOCK ?? false),
    test: { databaseUrl: e.DATABASE_URL_TEST, templateDir: e.TEST_TEMPLATE_DIR, pgTemplateDb: e.TEST_PG_TEMPLATE_DB },
  }
}
