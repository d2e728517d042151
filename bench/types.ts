// The shape every bench/*.bench.ts default export resolves to (bench/run.ts prints it).

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

export interface BenchSection {
  title: string;
  /** Each row beside a baseline measured in the same run, so the ratio is meaningful. */
  rows: (BenchFigure & { baseline?: BenchFigure })[];
  notes?: string[];
}
