/** The workbench's own version, read once from package.json (works from src/ and dist/). */
import { readFileSync } from 'node:fs';

let cached: string | null = null;

export function gnnwbVersion(): string {
  if (cached === null) {
    try {
      cached = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
