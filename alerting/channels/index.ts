// Notification channels: the senders (I/O at the edge), the retry policy and the delivery loop.
export * from './types.js';
export * from './retry-policy.js';
export * from './deliver.js';
export * from './slack.js';
export * from './email.js';
export * from './webhook.js';
