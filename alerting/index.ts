/**
 * Alerting: rules over stored analyzer results, the alert lifecycle and the notifications
 * channels deliver. docs/alerting.md has the exact semantics.
 */
export * from './notification.js';
export * from './rules/index.js';
export * from './state/index.js';
export * from './channels/index.js';
