// Rewrites the README's telemetry reference from the built contract (run `npm run build` first), Prettier-formatted.
import { readFileSync, writeFileSync } from 'node:fs';
import prettier from 'prettier';
import { withReference } from '../dist/lib/generate/reference.js';

const readme = readFileSync('README.md', 'utf8');
const options = { ...(await prettier.resolveConfig('README.md')), parser: 'markdown' };
const updated = await prettier.format(withReference(readme), options);
if (updated !== readme) writeFileSync('README.md', updated);
console.log(updated === readme ? 'docs: README reference is up to date' : 'docs: README reference rewritten');
