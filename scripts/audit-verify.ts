// `npm run audit:verify [-- --full]`: verifies the audit chain against the keyed checkpoints outside the
// database, naming the first bad row, and flags rows left unsealed for more than 10 seconds. Exit 1 if anything is
// wrong. On the embedded database, stop the server first (the directory takes one process at a time).
import { loadConfig } from '../src/platform/config.ts'
import { openForCommand } from './open-database.ts'
import { verifyAudit } from '../src/data/audit-seal.ts'

const full = process.argv.includes('--full')
const config = loadConfig()
const database = await openForCommand(config.database, { restrictedRole: false })
const report = await verifyAudit(database.db, { checkpointPath: config.audit.checkpointPath, hmacKey: config.audit.hmacKey, mode: full ? 'full' : 'incremental', now: new Date() })
await database.close()
console.log(`Audit chain (${report.mode}):`)
for (const p of report.partnerships) console.log(`  partnership ${p.partnershipId}: verified seals ${p.verifiedFrom + 1}–${p.sealedThrough}`)
for (const b of report.firstBad) console.log(`  FIRST BAD ROW in ${b.partnershipId}: seal ${b.sealSeq ?? '?'}, audit row ${b.auditId ?? '?'} — ${b.problem}`)
for (const c of report.checkpointProblems) console.log(`  CHECKPOINT: ${c}`)
if (report.unsealedOverLimit.length) console.log(`  ${report.unsealedOverLimit.length} audit rows unsealed for more than 10 seconds (first: ${report.unsealedOverLimit[0]!.auditId} at ${report.unsealedOverLimit[0]!.at}) — is the sealer running?`)
console.log(report.ok ? 'OK: the audit chain is intact.' : 'NOT OK: see above.')
process.exit(report.ok ? 0 : 1)
