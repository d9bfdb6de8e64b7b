/**
 * Alert state: the lifecycle of each alert instance and what gets delivered. Pure, no I/O.
 *
 *  - machine:  transition (one instance), transitionGroup (one rule evaluation), AlertState
 *  - grouping: transitions -> AlertNotification messages with idempotency keys
 *  - silences: silences (matchers + expiry) and inhibition of drift alerts by data-quality alerts
 */
export * from './machine.js';
export * from './grouping.js';
export * from './silences.js';
