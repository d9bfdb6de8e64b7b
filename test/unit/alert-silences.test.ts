// alerting/state/silences.ts: matchers, silence expiry, the silence contract, and inhibition
// of drift alerts by a firing data-quality alert on the same column of the same model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  inhibitedColumns, inhibitionOf, isSilenceActive, isSilenced, matcherMatches, muteBy, parseSilence,
  type AlertItemContext, type InhibitionSource, type MatcherOperator, type Silence,
} from '../../alerting/state/silences.js';
import { RuleDefinitionError } from '../../alerting/rules/definition.js';

const NOW = Date.parse('2026-11-01T12:00:00Z');
const H = 3_600_000;

const CONTEXT: AlertItemContext = {
  rule_id: 'fraud-psi', rule_name: 'PSI above 0.2', model_id: 'fraud', model_version: null, monitor_id: 'hourly', severity: 'warning',
  metric: 'psi', column: 'amount', segment_name: null, segment_value: null, labels: { team: 'risk', env: 'prod' },
};

test('matchers', async (t) => {
  const rows: Array<[string, MatcherOperator, string, boolean]> = [
    ['model_id', '=', 'fraud', true],
    ['model_id', '=', 'Fraud', false],
    ['model_id', '!=', 'fraud', false],
    ['model_id', '!=', 'churn', true],
    ['model_id', '=~', 'fr.*', true],
    ['model_id', '=~', 'fr', false], // anchored: the whole value must match
    ['model_id', '=~', 'churn|fraud', true],
    ['model_id', '!~', 'churn|fraud', false],
    ['severity', '=~', 'warning|critical', true],
    ['rule_id', '=', 'fraud-psi', true],
    ['rule_name', '=', 'PSI above 0.2', true],
    ['metric', '=', 'psi', true],
    ['column', '=', 'amount', true],
    ['column', '=~', 'am.*', true],
    ['monitor_id', '=', 'hourly', true],
    ['model_version', '=', '', true], // null is the empty value
    ['segment_name', '!=', '', false],
    ['team', '=', 'risk', true], // a rule label
    ['env', '=~', 'prod|staging', true],
    ['owner', '=', '', true], // a label the rule lacks is empty
    ['owner', '=~', '.+', false],
    ['owner', '!=', 'bob', true],
  ];
  for (const [name, operator, value, expected] of rows) {
    await t.test(`${name}${operator}"${value}"`, () => assert.equal(matcherMatches({ name, operator, value }, CONTEXT), expected));
  }
  await t.test('a window-level item has an empty column', () => {
    assert.ok(matcherMatches({ name: 'column', operator: '=', value: '' }, { ...CONTEXT, column: null }));
  });
});

const silence = (overrides: Partial<Silence>): Silence => ({
  id: 's1', matchers: [{ name: 'model_id', operator: '=', value: 'fraud' }], startsAt: NOW - H, endsAt: NOW + H, createdBy: 'ana', comment: '', ...overrides,
});

test('silences', async (t) => {
  const rows: Array<{ name: string; silences: Silence[]; now?: number; silencedBy: string | null }> = [
    { name: 'matching and active', silences: [silence({})], silencedBy: 's1' },
    { name: 'no silences', silences: [], silencedBy: null },
    { name: 'not yet started', silences: [silence({ startsAt: NOW + 1 })], silencedBy: null },
    { name: 'starts now', silences: [silence({ startsAt: NOW })], silencedBy: 's1' },
    { name: 'expired', silences: [silence({ endsAt: NOW - 1 })], silencedBy: null },
    { name: 'ends now: expired', silences: [silence({ endsAt: NOW })], silencedBy: null },
    { name: 'every matcher must match', silences: [silence({ matchers: [{ name: 'model_id', operator: '=', value: 'fraud' }, { name: 'column', operator: '=', value: 'age' }] })], silencedBy: null },
    { name: 'all matchers match', silences: [silence({ matchers: [{ name: 'model_id', operator: '=', value: 'fraud' }, { name: 'team', operator: '=~', value: 'risk|ops' }] })], silencedBy: 's1' },
    { name: 'the first that matches', silences: [silence({ id: 'a', endsAt: NOW - 1 }), silence({ id: 'b' }), silence({ id: 'c' })], silencedBy: 'b' },
  ];
  for (const row of rows) {
    await t.test(row.name, () => assert.equal(isSilenced(CONTEXT, row.silences, row.now ?? NOW)?.id ?? null, row.silencedBy));
  }
  await t.test('active in [startsAt, endsAt)', () => {
    const s = silence({ startsAt: 10, endsAt: 20 });
    assert.deepEqual([9, 10, 19, 20].map((now) => isSilenceActive(s, now)), [false, true, true, false]);
  });
});

test('parseSilence', async (t) => {
  const valid = { id: 'maint-1', matchers: [{ name: 'model_id', value: 'fraud' }, { name: 'column', operator: '=~', value: 'amount|age' }], ends_at: '2026-11-01T14:00:00Z', created_by: 'ana' };
  await t.test('defaults: operator =, starts now, empty comment', () => {
    assert.deepEqual(parseSilence(valid, NOW), {
      id: 'maint-1', matchers: [{ name: 'model_id', operator: '=', value: 'fraud' }, { name: 'column', operator: '=~', value: 'amount|age' }],
      startsAt: NOW, endsAt: NOW + 2 * H, createdBy: 'ana', comment: '',
    });
  });
  await t.test('explicit start', () => {
    assert.equal(parseSilence({ ...valid, starts_at: '2026-11-01T13:00:00+01:00', comment: 'deploy' }, NOW).startsAt, NOW);
  });
  const errors: Array<{ name: string; input: unknown; field: string; message: string; prefix?: boolean }> = [
    { name: 'not an object', input: [], field: 'silence', message: 'must be an object (got an array)' },
    { name: 'no matchers', input: { ...valid, matchers: [] }, field: 'matchers', message: 'must have at least 1 item (omit the field instead of sending [])' },
    { name: 'bad matcher name', input: { ...valid, matchers: [{ name: 'model-id', value: 'x' }] }, field: 'matchers[0].name', message: 'must match ^[A-Za-z_][A-Za-z0-9_]*$ (got "model-id")' },
    { name: 'bad operator', input: { ...valid, matchers: [{ name: 'model_id', operator: '~', value: 'x' }] }, field: 'matchers[0].operator', message: 'must be one of =, !=, =~, !~ (got "~")' },
    { name: 'bad regex', input: { ...valid, matchers: [{ name: 'model_id', value: 'x' }, { name: 'column', operator: '=~', value: '(' }] }, field: 'matchers[1].value', message: 'is not a valid regular expression: Invalid regular expression: /^(?:()$/', prefix: true },
    { name: 'bad end', input: { ...valid, ends_at: 'tomorrow' }, field: 'ends_at', message: 'must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z (got "tomorrow")' },
    { name: 'ends before now', input: { ...valid, ends_at: '2026-11-01T11:00:00Z' }, field: 'ends_at', message: 'must be after now (got "2026-11-01T11:00:00Z")' },
    { name: 'ends before its start', input: { ...valid, starts_at: '2026-11-01T15:00:00Z' }, field: 'ends_at', message: 'must be after starts_at (got "2026-11-01T14:00:00Z")' },
    {
      name: 'matchers that mute everything', input: { ...valid, matchers: [{ name: 'owner', operator: '=~', value: '.*' }, { name: 'model_id', operator: '!=', value: 'churn' }] }, field: 'matchers',
      message: 'must have at least one matcher that does not match an empty value (e.g. model_id="fraud"); these would mute every alert',
    },
    { name: 'missing creator', input: { ...valid, created_by: undefined }, field: 'created_by', message: 'is required' },
  ];
  for (const row of errors) {
    await t.test(row.name, () => {
      assert.throws(() => parseSilence(row.input, NOW, ''), (error: unknown) => {
        assert.ok(error instanceof RuleDefinitionError);
        assert.equal(error.field, row.field);
        // The engine's own words follow for a bad regular expression.
        if (row.prefix === true) assert.ok(error.problem.startsWith(row.message), error.problem);
        else assert.equal(error.problem, row.message);
        return true;
      });
    });
  }
  await t.test('prefix', () => assert.throws(() => parseSilence({ ...valid, ends_at: 'x' }, NOW, 'silences[2]'), { message: /^silences\[2\]\.ends_at: / }));
});

const source = (overrides: Partial<InhibitionSource>): InhibitionSource => ({ ruleId: 'missing', modelId: 'fraud', column: 'amount', metric: 'missing_share', status: 'firing', ...overrides });

test('inhibition', async (t) => {
  const rows: Array<{ name: string; sources: InhibitionSource[]; context: Partial<AlertItemContext>; inhibited: boolean }> = [
    { name: 'missing values on the column mute its psi alert', sources: [source({})], context: {}, inhibited: true },
    { name: 'out-of-range values mute ks_p_value', sources: [source({ metric: 'out_of_range_share' })], context: { metric: 'ks_p_value' }, inhibited: true },
    { name: 'unseen values mute drifted', sources: [source({ metric: 'unseen_share' })], context: { metric: 'drifted' }, inhibited: true },
    { name: 'mutes wasserstein_normed', sources: [source({})], context: { metric: 'wasserstein_normed' }, inhibited: true },
    { name: 'mutes adjusted_p_value', sources: [source({})], context: { metric: 'adjusted_p_value' }, inhibited: true },
    { name: 'mutes chi_square_p_value', sources: [source({})], context: { metric: 'chi_square_p_value' }, inhibited: true },
    { name: 'mutes jensen_shannon', sources: [source({})], context: { metric: 'jensen_shannon' }, inhibited: true },
    { name: 'another column', sources: [source({})], context: { column: 'age' }, inhibited: false },
    { name: 'another model', sources: [source({ modelId: 'churn' })], context: {}, inhibited: false },
    { name: 'a pending source does not inhibit', sources: [source({ status: 'pending' })], context: {}, inhibited: false },
    { name: 'a resolved source does not inhibit', sources: [source({ status: 'resolved' })], context: {}, inhibited: false },
    { name: 'a drift alert does not inhibit', sources: [source({ metric: 'psi' })], context: {}, inhibited: false },
    { name: 'data-quality alerts are not inhibited', sources: [source({})], context: { metric: 'unseen_share' }, inhibited: false },
    { name: 'window-level alerts are not inhibited', sources: [source({})], context: { metric: 'drift_share', column: null }, inhibited: false },
    { name: 'a window-level source inhibits nothing', sources: [source({ column: null })], context: {}, inhibited: false },
    { name: 'any version, monitor and segment of the model', sources: [source({})], context: { model_version: 'v3', monitor_id: 'daily', segment_name: 'country', segment_value: 'DE' }, inhibited: true },
  ];
  for (const row of rows) {
    await t.test(row.name, () => assert.equal(inhibitionOf({ ...CONTEXT, ...row.context }, inhibitedColumns(row.sources)) !== null, row.inhibited));
  }
  await t.test('the reason names the source', () => {
    assert.equal(inhibitionOf(CONTEXT, inhibitedColumns([source({})])), 'inhibited: missing_share alert (rule missing) is firing on column amount of model fraud');
  });
});

test('muteBy: silences first, then inhibition', () => {
  const inhibited = inhibitedColumns([source({})]);
  assert.equal(muteBy([silence({})], inhibited, NOW)(CONTEXT), 'silenced by s1');
  assert.match(muteBy([], inhibited, NOW)(CONTEXT) ?? '', /^inhibited: /);
  assert.equal(muteBy([silence({ endsAt: NOW })], inhibitedColumns([]), NOW)(CONTEXT), null);
});
