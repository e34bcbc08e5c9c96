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
