// The commands' way in: the configured database, or — when the embedded directory is held by a running server —
// a plain message and exit status 1 instead of a stack trace.
import { openDatabase, DatabaseLockedError, type Database, type DatabaseTarget, type OpenOptions } from '../src/data/db.ts'

export async function openForCommand(target: DatabaseTarget, opts: OpenOptions): Promise<Database> {
  try {
    return await openDatabase(target, opts)
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      console.error(`${err.message}\nStop the server first: the embedded database takes one process at a time.`)
      process.exit(1)
    }
    throw err
  }
}
