// Rendering of alert notifications for each channel, and the checks on outgoing URLs.
// Pure functions: nothing here sends anything.
export * from './format.js';
export * from './slack.js';
export * from './email.js';
export * from './webhook.js';
export * from './retraining.js';
export * from './url-policy.js';
