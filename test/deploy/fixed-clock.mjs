/**
 * Loaded with `node --import` into a deploy under test: the process's clock stands still at DECKHAND_TEST_NOW, so
 * runs started together get the same second — and so the same first release name — whatever the machine's load.
 * Timers (setTimeout) are untouched; only what the clock says is fixed.
 */
const fixed = Date.parse(process.env.DECKHAND_TEST_NOW ?? '');
if (Number.isNaN(fixed)) throw new Error('fixed-clock.mjs needs DECKHAND_TEST_NOW (an ISO 8601 time)');

const RealDate = globalThis.Date;
class FixedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixed);
    else super(...args);
  }

  static now() {
    return fixed;
  }
}
globalThis.Date = FixedDate;
