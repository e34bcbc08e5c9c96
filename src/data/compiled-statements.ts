// Statements built and compiled once, then filled in with each request's values. For the hot statements whose text
// depends only on who is asking and on the request's shape (which filters are given, which path), not on the
// request's own values: building and compiling them with Kysely on every request cost the server more than running
// them cost PostgreSQL's parser (the chronology page: about half a millisecond; logging a concern: about 0.13 ms).
import { CompiledQuery } from 'kysely'
import type { Actor } from './actor.ts'

/**
 * Stand-ins for a request's own values while the statement is built. Kysely keeps each value it is given (the same
 * string or object) in the compiled parameters, so the kept statement's parameters can be told apart from the
 * actor's own values (which stay): strings that begin with a NUL (which no request can send: PostgreSQL refuses it
 * in text), and objects (a Date, an array) matched by identity.
 */
export type StandIns = Record<string, string | object>

/**
 * Everything of the actor a statement's text may depend on — the access predicates are built from these, and their
 * values stay in the kept parameters — for the first part of a cache key. Not the request id: that is a stand-in.
 */
export function actorKey(actor: Actor): string {
  return JSON.stringify([actor.partnershipId, actor.practitionerId, actor.membershipId, actor.agencyId, actor.teamId, actor.role])
}

/** What is kept of a compiled statement: its text and parameters (not Kysely's tree of it, many times their size). */
interface Kept {
  sql: string
  parameters: readonly unknown[]
}

export interface StatementCache<S extends StandIns> {
  /**
   * The statement kept under `key` (built by `build` from the stand-ins the first time), with this request's
   * `values` in place of the stand-ins. The key must hold everything the text depends on: two requests with the same
   * key share the text and every parameter that is not a stand-in.
   */
  fill(key: string, build: (standIns: S) => CompiledQuery, values: { [K in keyof S]: unknown }): CompiledQuery
  readonly size: number
}

/**
 * A bounded cache of compiled statements (the least recently used dropped beyond `max`). Building throws if a stand-in
 * has been turned into something else on the way (a string holding a NUL, or JSON's escape of one, that is not itself
 * a stand-in), because that value would never be replaced. At build time the parameters are stand-ins and the actor's
 * own values, never what a request sent.
 */
export function statementCache<const S extends StandIns>(standIns: S, max = 500): StatementCache<S> {
  const slotOf = new Map<unknown, keyof S>(Object.entries(standIns).map(([k, v]) => [v, k as keyof S]))
  if (slotOf.size !== Object.keys(standIns).length) throw new Error('each stand-in must be distinct')
  for (const v of Object.values(standIns)) if (typeof v === 'string' && !v.startsWith('\u0000')) throw new Error(`a string stand-in must begin with a NUL: ${JSON.stringify(v)}`)
  const kept = new Map<string, Kept>()
  return {
    fill(key, build, values) {
      let statement = kept.get(key)
      if (statement) {
        // most recently used last
        kept.delete(key)
        kept.set(key, statement)
      } else {
        const built = build(standIns)
        for (const p of built.parameters) {
          if (typeof p === 'string' && (p.includes('\u0000') || p.includes('\\u0000')) && !slotOf.has(p)) throw new Error(`a stand-in was changed before it reached the statement: ${JSON.stringify(p)}`)
        }
        statement = { sql: built.sql, parameters: built.parameters }
        kept.set(key, statement)
        if (kept.size > max) kept.delete(kept.keys().next().value!)
      }
      const parameters = statement.parameters.map((p) => {
        const slot = slotOf.get(p)
        return slot === undefined ? p : values[slot]
      })
      return CompiledQuery.raw(statement.sql, parameters)
    },
    get size() {
      return kept.size
    },
  }
}
