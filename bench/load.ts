// A small closed-loop HTTP load generator, run in its own process so it does not share the server's event loop:
// `node bench/load.ts '{"url":..., "method":"GET", "headers":{...}, "body":"...", "connections":32, "durationMs":10000}'`.
// A body may contain {{uuid}}, replaced per request, and {{name}} for each list in `pick` (a random element).
// Prints {requests, rps, p50, p95, p99, errors, statuses, warmupStatuses, seconds} as JSON on its last line (the warm-up's
// responses are counted apart, not measured), and every latency with `"latencies": true`; before it, a line `measuring`
// when the measured window opens and `measured` when it closes.
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import type { LoadSpec } from './types.ts'

const spec = JSON.parse(process.argv[2]!) as LoadSpec & Required<Pick<LoadSpec, 'connections' | 'durationMs'>>
const url = new URL(spec.url)
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections })
const latencies: number[] = []
const statuses: Record<number, number> = {}
const warmupStatuses: Record<number, number> = {}
let errors = 0
let measuring = false

function once(): Promise<void> {
  return new Promise((resolve) => {
    let body = spec.body?.replaceAll('{{uuid}}', randomUUID())
    for (const [name, values] of Object.entries(spec.pick ?? {})) body = body?.replaceAll(`{{${name}}}`, values[Math.floor(Math.random() * values.length)]!)
    const t0 = performance.now()
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method ?? 'GET', agent, headers: { ...(spec.headers ?? {}), ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      res.resume()
      res.on('end', () => {
        if (measuring) {
          latencies.push(performance.now() - t0)
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1
        } else {
          warmupStatuses[res.statusCode ?? 0] = (warmupStatuses[res.statusCode ?? 0] ?? 0) + 1
        }
        resolve()
      })
    })
    req.on('error', () => {
      if (measuring) errors++
      resolve()
    })
    if (body) req.write(body)
    req.end()
  })
}

async function worker(until: number) {
  while (performance.now() < until) await once()
}

const warm = spec.warmupMs ?? 2000
await Promise.all(Array.from({ length: spec.connections }, () => worker(performance.now() + warm)))
measuring = true
// the markers let the parent read the processes' CPU over exactly the measured window (support.ts)
process.stdout.write('measuring\n')
const start = performance.now()
await Promise.all(Array.from({ length: spec.connections }, () => worker(start + spec.durationMs)))
const elapsed = (performance.now() - start) / 1000
process.stdout.write('measured\n')
latencies.sort((a, b) => a - b)
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0
console.log(JSON.stringify({ requests: latencies.length, rps: latencies.length / elapsed, p50: pct(50), p95: pct(95), p99: pct(99), errors, statuses, warmupStatuses, seconds: elapsed, ...(spec.latencies ? { latencies } : {}) }))
agent.destroy()
