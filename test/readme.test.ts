import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { withReference } from '../lib/generate/reference.js';

describe('README', () => {
  it('carries the telemetry reference of the current contract (run `npm run docs` to update)', async () => {
    const path = fileURLToPath(new URL('../README.md', import.meta.url));
    const readme = readFileSync(path, 'utf8');
    const options = { ...(await prettier.resolveConfig(path)), parser: 'markdown' };
    expect(readme).toBe(await prettier.format(withReference(readme), options));
  });
});
