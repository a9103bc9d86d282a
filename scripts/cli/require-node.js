/**
 * Imported first by every entry point (tasks.ts, the `deckhand` bin) and run first by `npm test`: on a Node that
 * cannot run deckhand, one line says which Node is needed and how to get it, and the process exits 1.
 */
import { exitUnlessSupportedNode } from '../lib/node-version.js';

exitUnlessSupportedNode();
