/**
 * Alerting's storage in ClickHouse (schemas/migrations/0004_alerting.sql):
 *
 *  - rule-store:        alert rules (API and config file), newest version wins
 *  - state-store:       the newest AlertState of every alert instance
 *  - event-store:       alert history, one row per notification, deduplicated by idempotency key
 *  - silence-store:     silences, expired by writing a version that ends now
 *  - evaluation-ledger: which stored analyzer runs were evaluated (exactly once, with catch-up)
 */
export * from './rule-store.js';
export * from './state-store.js';
export * from './event-store.js';
export * from './silence-store.js';
export * from './evaluation-ledger.js';
