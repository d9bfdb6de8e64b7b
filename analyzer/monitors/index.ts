/**
 * Monitors: what to analyse, how often and against which reference. Pure, no I/O.
 *
 *  - definition:      MonitorSchema (JSON contract), parseMonitor, parseMonitorList, monitorToJson
 *  - windows:         UTC-aligned windows, which are due, cron expressions for the scheduler
 *  - reference:       resolveReference for a window, expectedCount, volumeChange
 *  - default-monitor: defaultMonitor for a model seen for the first time
 */
export * from './definition.js';
export * from './windows.js';
export * from './reference.js';
export * from './default-monitor.js';
