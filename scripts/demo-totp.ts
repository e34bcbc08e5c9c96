// `npm run demo:code -- EMAIL`: the current sign-in code for a demo practitioner (demo data only: their
// TOTP secrets are derived from their address, and are published in the README).
import { demoPractitioners } from '../src/data/seed.ts'
import { totpAt } from '../src/platform/auth/totp.ts'

const email = process.argv[2]
const p = demoPractitioners().find((x) => x.email === email || x.key === email)
if (!p) {
  console.error(`Not a demo practitioner: ${email ?? '(none given)'}. Try: npm run demo:code -- dsl.brookside@northshire.example`)
  process.exit(2)
}
console.log(await totpAt(p.totpSecret, new Date()))
