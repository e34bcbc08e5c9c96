// Time from `npm start` (node src/server.ts) to serving, on embedded PGlite: cold (an empty directory: migrate and
// seed) and warm (the same directory again).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { root, now } from './support.ts'
import type { BenchResult } from './types.ts'

export const name = 'embedded_start'

async function startOnce(dir: string, port: number): Promise<number> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [path.join(root, 'src/server.ts')], { env: { ...process.env, PGLITE_DIR: dir, PORT: String(port), LOG_LEVEL: 'silent', AUDIT_CHECKPOINT_PATH: path.join(dir, '..', `cp-${port}.log`) }, stdio: 'ignore' })
  try {
    for (;;) {
      if (performance.now() - t0 > 120_000) throw new Error('server did not start within 2 minutes')
      try {
        const res = await fetch(`http://127.0.0.1:${port}/sign-in`)
        if (res.status === 200) return performance.now() - t0
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

export async function run(): Promise<BenchResult[]> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-start-'))
  const dir = path.join(base, 'pglite')
  const port = 20000 + Math.floor(Math.random() * 20000)
  try {
    const cold = await startOnce(dir, port)
    const warm = [await startOnce(dir, port), await startOnce(dir, port)].sort((a, b) => a - b)[0]!
    const at = now()
    return [
      { id: 'embedded.start_ms', value: Math.round(warm), unit: 'ms', engine: 'pglite', dataset: 'demo-200', baseline: null, at },
      { id: 'embedded.start_cold_ms', value: Math.round(cold), unit: 'ms', engine: 'pglite', dataset: 'demo-200', baseline: null, at },
    ]
  } finally {
    fs.rmSync(base, { recursive: true, force: true })
  }
}
