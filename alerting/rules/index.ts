/**
 * Alert rules: what to watch and when it breaches. Pure, no I/O.
 *
 *  - definition: RuleSchema (JSON contract), parseRule, parseRuleList, ruleToJson, RuleDefinitionError
 *  - presets:    the one-step rules (any_feature_drifts, accuracy_dropped, ...) and preset references
 *  - template:   the annotation template engine ({{ model_id }})
 *  - evaluate:   one rule against one analysed window -> alert instances, breached or not
 */
export * from './definition.js';
export * from './presets.js';
export * from './template.js';
export * from './evaluate.js';
