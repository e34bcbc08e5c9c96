// A benchmark server in its own process (see startServerProcess in support.ts): opens the database named on the
// command line, serves the app with the framework-ceiling route on a free port, and prints "listening PORT".
import { openDatabase, type DatabaseTarget } from '../src/data/db.ts'
import { startServer } from './support.ts'

const target = JSON.parse(process.argv[2] ?? '{}') as DatabaseTarget
const database = await openDatabase(target)
const server = await startServer(database)
console.log(`listening ${new URL(server.base).port}`)
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => database.close())
    .finally(() => process.exit(0))
})
