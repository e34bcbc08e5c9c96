export interface BenchResult {
  id: string
  value: number
  unit: string
  engine: string
  dataset: string
  /** a same-run reference (e.g. the framework ceiling), or the goal where no same-run reference exists */
  baseline: number | null
  at: string
}

export interface Bench {
  name: string
  run(): Promise<BenchResult[]>
}

/** What bench/load.ts is asked to do (connections 32 and 10 s unless given). */
export interface LoadSpec {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string
  connections?: number
  durationMs?: number
  warmupMs?: number
  pick?: Record<string, string[]>
  latencies?: boolean
}

/** What bench/load.ts answers. */
export interface LoadResult {
  requests: number
  rps: number
  p50: number
  p95: number
  p99: number
  errors: number
  statuses: Record<string, number>
  warmupStatuses: Record<string, number>
  /** Measured seconds. */
  seconds?: number
  /** Every latency, sorted (asked for with `latencies: true`). */
  latencies?: number[]
  /**
   * CPU seconds used over the measured window (asked for with load's `cpuOf`): by the server's process, and by the local
   * PostgreSQL's processes (null when the database is not on this machine).
   */
  cpu?: { server: number; database: number | null }
}
