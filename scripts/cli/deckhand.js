#!/usr/bin/env node
/**
 * The `deckhand` command: `npx deckhand deploy caelundas` from any folder of the project (npx finds the project's own
 * bin), the same as `npx tsx tasks.ts deploy caelundas` from its root.
 *
 * It runs tasks.ts in this very process, with tsx's loader registered, instead of under the tsx CLI: one process
 * between the terminal and deckhand fewer, so one Ctrl-C is one signal (see scripts/lib/interrupt.ts), and start-up
 * is faster. Plain JavaScript so that the Node check below comes before anything that needs a newer Node.
 */
import './require-node.js';

await import('tsx');
const { main } = await import('../../tasks.ts');
process.exitCode = await main(process.argv.slice(2));
