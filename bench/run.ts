// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line)
// and prints each section's figures beside the baseline measured in the same run.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Figure {
  name: string;
  value: number;
  unit: string;
}
interface Row extends Figure {
  baseline?: Figure;
}
interface Section {
  title: string;
  rows: Row[];
  notes?: string[];
}

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

const fmt = (f: Figure) => `${Number.isInteger(f.value) ? f.value : f.value.toFixed(2)} ${f.unit}`;

function print(section: Section): void {
  console.log(`\n## ${section.title}\n`);
  console.log('| measure | ours | baseline (same run) | ratio |');
  console.log('|---|---|---|---|');
  for (const row of section.rows) {
    const base = row.baseline;
    const ratio = base && base.value !== 0 ? `${(row.value / base.value).toFixed(2)}×` : '';
    console.log(`| ${row.name} | ${fmt(row)} | ${base ? `${base.name}: ${fmt(base)}` : ''} | ${ratio} |`);
  }
  for (const note of section.notes ?? []) console.log(`\n- ${note}`);
}

let failed = false;
console.log(`# accessbot benchmarks (node ${process.version}, ${new Date().toISOString()})`);
for (const file of files) {
  try {
    const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as {
      default: () => Promise<Section | Section[]>;
    };
    const result = await mod.default();
    for (const section of Array.isArray(result) ? result : [result]) print(section);
  } catch (err) {
    failed = true;
    console.error(`\n${file} failed: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
