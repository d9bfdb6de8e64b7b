#!/usr/bin/env python3
"""Generate the reference values the accuracy-decay metrics are tested against.

Run from the repository root:  python3 scripts/gen_performance_fixtures.py
Needs numpy and scikit-learn (only here: CI reads the committed JSON and needs no Python).

Writes test/fixtures/performance/*.json. Every case carries:
  - the rows (inline), or for n ~ 100,000 a generator spec the TypeScript test
    rebuilds bit for bit with the drift fixtures' PRNG (gen_drift_fixtures.generate
    here, generateSample in test/unit/stats-fixture-rng.ts): integer streams only,
    combined with one IEEE division, so both languages produce identical rows;
  - the aggregates the ClickHouse queries would return (confusion cells, score
    counts, sums of per-row terms added with math.fsum), computed here without
    the TypeScript code;
  - the expected metrics from sklearn.metrics, and the sklearn call that gave them.
"""
import json
import math
import os
import sys
import warnings
from collections import Counter

import numpy as np
import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, log_loss, mean_absolute_error, mean_absolute_percentage_error,
                             precision_recall_fscore_support, roc_auc_score, root_mean_squared_error)
from sklearn.utils.multiclass import unique_labels

from gen_drift_fixtures import generate  # the shared fixture PRNG (mulberry32)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'performance')
EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- generated rows (mirrored in the TS test)
def class_of(value, classes, cuts):
    """Integer draw -> class: the number of cut points <= value picks the class."""
    return classes[sum(1 for c in cuts if c <= value)]


def classification_rows(spec):
    """See performance-metrics.test.ts generatedClassificationRows: same streams, same order."""
    classes, cuts, pos = spec['classes'], spec['cuts'], spec['positive_class']
    labels = generate(spec['label'])
    correct = generate(spec['correct'])
    wrong = generate(spec['wrong'])
    scores = generate(spec['score']) if 'score' in spec else None
    rows = []
    for i in range(len(labels)):
        label = class_of(labels[i], classes, cuts)
        prediction = label if correct[i] < spec['correct_below'] else class_of(wrong[i], classes, cuts)
        score = None
        if scores is not None:
            shift = spec['score_shift'] if label == pos else 0
            score = (scores[i] + shift) / spec['score_scale']
        rows.append([label, prediction, score])
    return rows


def regression_rows(spec):
    labels = generate(spec['label'])
    noise = generate(spec['noise'])
    return [[float(y), float(y + e)] for y, e in zip(labels, noise)]


# ---------------------------------------------------------------- aggregates, as the SQL computes them
def log_loss_terms(is_positive, scores):
    """sklearn's per-row term: the [1 - p, p] matrix clipped to [eps, 1 - eps], then -xlogy."""
    proba = np.clip(np.stack([1 - scores, scores], axis=1), EPS, 1 - EPS)
    return -np.log(np.where(is_positive, proba[:, 1], proba[:, 0]))


def classification_aggregates(rows, pos):
    cells = Counter((label, prediction) for label, prediction, _ in rows)
    result = {'confusion': [[l, p, c] for (l, p), c in sorted(cells.items())], 'score_counts': None, 'log_loss': None}
    scored = [(label, score) for label, _, score in rows if score is not None]
    if pos is not None and scored:
        is_positive = np.array([label == pos for label, _ in scored])
        scores = np.array([score for _, score in scored], dtype=np.float64)
        distinct, index = np.unique(scores, return_inverse=True)
        positives = np.bincount(index, weights=is_positive, minlength=len(distinct))
        negatives = np.bincount(index, weights=~is_positive, minlength=len(distinct))
        result['score_counts'] = [[float(s), int(p), int(n)] for s, p, n in zip(distinct, positives, negatives)]
        result['log_loss'] = {'sum': math.fsum(log_loss_terms(is_positive, scores)), 'count': len(scored)}
    return result


def regression_aggregates(rows):
    y = np.array([r[0] for r in rows], dtype=np.float64)
    yhat = np.array([r[1] for r in rows], dtype=np.float64)
    return {
        'count': len(rows),
        'sum_absolute_error': math.fsum(np.abs(yhat - y)),
        'sum_squared_error': math.fsum((yhat - y) ** 2),
        'sum_absolute_percentage_error': math.fsum(np.abs(yhat - y) / np.maximum(np.abs(y), EPS)),
        'near_zero_label_count': int(np.sum(np.abs(y) < EPS)),
    }


# ---------------------------------------------------------------- expected values from sklearn.metrics
def none_if_nan(x):
    return None if x is None or math.isnan(x) else float(x)


def classification_expected(rows, pos):
    y_true = np.array([r[0] for r in rows], dtype=str)
    y_pred = np.array([r[1] for r in rows], dtype=str)
    expected = {'accuracy': float(accuracy_score(y_true, y_pred))}
    if pos is None:
        call = "precision_recall_fscore_support(y_true, y_pred, average='macro')"
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average='macro')
    else:
        present = unique_labels(y_true, y_pred)
        one_vs_rest = precision_recall_fscore_support(y_true, y_pred, labels=[pos], average='macro')[:3]
        if len(present) <= 2 and (pos in present or len(present) < 2):
            call = f"precision_recall_fscore_support(y_true, y_pred, average='binary', pos_label={pos!r})"
            p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average='binary', pos_label=pos)
            assert (p, r, f) == one_vs_rest, 'binary and one-vs-rest must agree where sklearn accepts both'
        else:  # sklearn's average='binary' raises here; labels=[pos] is the one-vs-rest reading
            call = f"precision_recall_fscore_support(y_true, y_pred, labels=[{pos!r}], average='macro')"
            p, r, f = one_vs_rest
    expected.update(precision=float(p), recall=float(r), f1=float(f), roc_auc=None, log_loss=None)
    scored = [i for i, row in enumerate(rows) if row[2] is not None]
    if pos is not None and scored:
        is_positive = y_true[scored] == pos
        scores = np.array([rows[i][2] for i in scored], dtype=np.float64)
        # roc_auc_score has no pos_label and log_loss takes the probability of the
        # larger class: the boolean target makes `pos` that class whatever its name.
        expected['roc_auc'] = none_if_nan(roc_auc_score(is_positive, scores))
        expected['log_loss'] = float(log_loss(is_positive, scores, labels=[False, True]))
        call += '; roc_auc_score(y_true == pos, score); log_loss(y_true == pos, score, labels=[False, True])'
    return expected, call


def regression_expected(rows):
    y = np.array([r[0] for r in rows], dtype=np.float64)
    yhat = np.array([r[1] for r in rows], dtype=np.float64)
    return {
        'mae': float(mean_absolute_error(y, yhat)),
        'rmse': float(root_mean_squared_error(y, yhat)),
        'mape': float(mean_absolute_percentage_error(y, yhat)),
    }


# ---------------------------------------------------------------- cases
def classification_cases():
    cases = []

    def add(name, note, rows, pos, spec=None):
        expected, call = classification_expected(rows, pos)
        case = {'name': name, 'note': note, 'positive_class': pos}
        if spec is None:
            case['rows'] = rows
        else:
            case['spec'] = spec
        case.update(sklearn=call, aggregates=classification_aggregates(rows, pos), expected=expected)
        cases.append(case)

    rng = np.random.default_rng(20240611)

    def noisy_binary(n, negative, positive, positive_share, correct_share, decimals=4):
        rows = []
        for _ in range(n):
            is_pos = rng.random() < positive_share
            label = positive if is_pos else negative
            right = rng.random() < correct_share
            prediction = label if right else (negative if is_pos else positive)
            centre = 0.65 if is_pos else 0.35
            score = float(np.clip(round(rng.normal(centre, 0.2), decimals), 0.0, 1.0))
            rows.append([label, prediction, score])
        return rows

    add('binary 0/1 with scores', 'positive class "1", continuous scores', noisy_binary(80, '0', '1', 0.45, 0.8), '1')
    add('booleans', 'labels from booleans: "true"/"false", positive "true"',
        noisy_binary(60, 'false', 'true', 0.5, 0.75), 'true')
    add('string labels', 'positive "spam" against "ham"', noisy_binary(70, 'ham', 'spam', 0.3, 0.85), 'spam')
    add('positive class sorts first', 'positive "cat" against "dog": the score is P(cat), not P(larger label)',
        noisy_binary(50, 'dog', 'cat', 0.5, 0.7), 'cat')
    add('imbalanced', '3% positives', noisy_binary(400, '0', '1', 0.03, 0.9), '1')
    perfect = [['1', '1', 0.9], ['0', '0', 0.1], ['1', '1', 0.8], ['0', '0', 0.3], ['1', '1', 0.55], ['0', '0', 0.45]]
    add('perfect', 'every prediction right, scores separate the classes: AUC 1', perfect, '1')
    add('all labels negative', 'one class among labels: AUC undefined, recall 0/0 -> 0',
        [['0', '0', 0.1], ['0', '1', 0.7], ['0', '0', 0.2], ['0', '1', 0.9], ['0', '0', 0.4]], '1')
    add('all labels positive', 'one class among labels: AUC undefined, precision defined',
        [['1', '1', 0.8], ['1', '0', 0.3], ['1', '1', 0.95], ['1', '1', 0.6]], '1')
    tie_scores = [0.1, 0.3, 0.5, 0.7, 0.9]
    ties = [[('1' if rng.random() < 0.5 else '0'), '0', float(rng.choice(tie_scores))] for _ in range(90)]
    ties = [[l, '1' if s >= 0.5 else '0', s] for l, _, s in ties]
    add('ties in scores', '5 distinct scores over 90 rows, both classes at each', ties, '1')
    add('never predicts positive', 'no prediction is "1": precision and f1 denominators',
        [['1', '0', 0.4], ['0', '0', 0.1], ['1', '0', 0.45], ['0', '0', 0.2], ['0', '0', 0.3]], '1')
    add('positive class absent', 'neither labels nor predictions contain "1": sklearn gives 0, 0, 0',
        [['0', '0', 0.2], ['0', '0', 0.1], ['0', '0', 0.35]], '1')
    add('all-wrong predictions', 'no true positive: precision and recall 0 with defined denominators',
        [['1', '0', 0.2], ['0', '1', 0.8], ['1', '0', 0.1], ['0', '1', 0.6]], '1')
    add('scores at 0 and 1', 'confident and wrong: log-loss terms clipped at eps and 1 - eps',
        [['1', '1', 1.0], ['0', '0', 0.0], ['1', '0', 0.0], ['0', '1', 1.0], ['1', '1', 0.999999999999999],
         ['0', '0', 1e-17], ['1', '1', 5e-324], ['0', '0', 1 - 2 ** -53]], '1')
    partial = noisy_binary(40, '0', '1', 0.5, 0.8)
    for i in range(0, 40, 3):
        partial[i][2] = None
    add('some rows without score', 'AUC and log loss over the scored rows only; counts over all', partial, '1')
    add('binary without scores', 'no score: AUC and log loss undefined',
        [[l, p, None] for l, p, _ in noisy_binary(30, '0', '1', 0.4, 0.8)], '1')
    add('single row', 'one labeled prediction', [['1', '1', 0.9]], '1')
    three = [[str(rng.integers(0, 3)), str(rng.integers(0, 3)), None] for _ in range(60)]
    add('positive class among three', 'three classes with a positive class: one-vs-rest (sklearn binary refuses)',
        three, '2')
    add('positive absent, two others', 'labels "0"/"2", positive "1": sklearn binary refuses, one-vs-rest gives 0',
        [['0', '0', None], ['2', '2', None], ['2', '0', None], ['0', '2', None]], '1')

    multi_classes = ['ant', 'bee', 'cat', 'dog']
    multi = []
    for _ in range(120):
        label = str(rng.choice(multi_classes, p=[0.4, 0.3, 0.2, 0.1]))
        prediction = label if rng.random() < 0.6 else str(rng.choice(multi_classes))
        multi.append([label, prediction, None])
    add('multi-class macro', '4 classes, macro averages', multi, None)
    add('multi-class zero division', 'class "z" only predicted (recall 0/0), class "c" never predicted (precision 0/0)',
        [['a', 'a', None], ['a', 'b', None], ['b', 'b', None], ['b', 'z', None], ['c', 'a', None], ['c', 'b', None],
         ['a', 'a', None]], None)
    add('multi-class one class', 'only one class anywhere: macro over one label', [['x', 'x', None]] * 5, None)
    add('multi-class binary labels', 'two classes and no positive class: macro over both',
        [[l, p, None] for l, p, _ in noisy_binary(40, '0', '1', 0.5, 0.7)], None)
    unicode_classes = ['\uff21', '\U0001F600', 'e\u0301', '\u00e9', 'Z']
    uni = [[str(rng.choice(unicode_classes)), str(rng.choice(unicode_classes)), None] for _ in range(50)]
    add('multi-class unicode', 'labels whose code-point order differs from UTF-16 order', uni, None)

    integer = lambda seed, n, k: {'seed': seed, 'n': n, 'distribution': 'integer', 'k': k}
    n = 100_000
    spec = {'classes': ['0', '1'], 'cuts': [950], 'positive_class': '1', 'label': integer(101, n, 1000),
            'correct': integer(102, n, 100), 'correct_below': 85, 'wrong': integer(103, n, 1000),
            'score': integer(104, n, 750), 'score_shift': 250, 'score_scale': 1000}
    add('large imbalanced binary with ties', 'n = 100,000, 5% positives, 1,000 distinct scores',
        classification_rows(spec), '1', spec)
    n = 120_000
    spec = {'classes': ['false', 'true'], 'cuts': [50], 'positive_class': 'true', 'label': integer(111, n, 100),
            'correct': integer(112, n, 100), 'correct_below': 70, 'wrong': integer(113, n, 100),
            'score': integer(114, n, 1200), 'score_shift': 800, 'score_scale': 2000}
    add('large balanced binary', 'n = 120,000, 2,000 distinct scores overlapping on [0.4, 0.6)',
        classification_rows(spec), 'true', spec)
    n = 100_000
    spec = {'classes': ['a', 'b', 'c', 'd', 'e'], 'cuts': [40, 65, 80, 92], 'positive_class': None,
            'label': integer(121, n, 100), 'correct': integer(122, n, 100), 'correct_below': 60,
            'wrong': integer(123, n, 100)}
    add('large multi-class', 'n = 100,000, 5 classes, macro', classification_rows(spec), None, spec)
    return cases


def regression_cases():
    cases = []

    def add(name, note, rows, spec=None):
        case = {'name': name, 'note': note}
        if spec is None:
            case['rows'] = rows
        else:
            case['spec'] = spec
        case.update(aggregates=regression_aggregates(rows), expected=regression_expected(rows))
        cases.append(case)

    rng = np.random.default_rng(7)
    y = rng.normal(20.0, 5.0, 50)
    add('basic', 'n = 50, normal labels', [[float(a), float(a + e)] for a, e in zip(y, rng.normal(0, 2.0, 50))])
    add('zeros in labels', 'y = 0 with a wrong prediction: its term is |error| / eps (sklearn docstring example)',
        [[1.0, 1.2], [0.0, 0.1], [2.4, 2.4], [7.0, 8.0]])
    add('zero label predicted exactly', 'y = 0 and prediction 0: term 0 / eps = 0', [[0.0, 0.0], [2.0, 2.5], [4.0, 3.0]])
    add('perfect', 'every prediction exact', [[1.5, 1.5], [-2.0, -2.0], [3.25, 3.25]])
    add('negative and mixed magnitudes', 'signs and scales from 1e-3 to 1e6',
        [[-3.5, -3.0], [1e6, 1.01e6], [0.001, 0.002], [-250.0, 240.0], [42.0, 41.5]])
    add('single row', 'n = 1', [[10.0, 12.5]])
    add('tiny labels', '|y| < eps uses eps as the denominator; 1e-15 > eps does not',
        [[1e-17, 0.5], [5e-324, -0.25], [-1e-300, 0.0], [1e-15, 1e-15 + 1e-16], [3.0, 2.0]])

    normal = lambda seed, n, mean, sd: {'seed': seed, 'n': n, 'distribution': 'normal', 'mean': mean, 'sd': sd}
    integer = lambda seed, n, k: {'seed': seed, 'n': n, 'distribution': 'integer', 'k': k}
    spec = {'label': normal(201, 100_000, 100.0, 15.0), 'noise': normal(202, 100_000, 0.0, 5.0)}
    add('large normal', 'n = 100,000, prediction = label + noise', regression_rows(spec), spec)
    spec = {'label': integer(211, 100_000, 20), 'noise': normal(212, 100_000, 0.0, 1.0)}
    add('large integer labels with zeros', 'n = 100,000, labels 0..19 (5% zeros): MAPE ~ 1e14',
        regression_rows(spec), spec)
    return cases


def log_loss_term_table():
    table = []
    for score in [0.0, 5e-324, 1e-300, EPS / 2, EPS, 1e-10, 0.1, 0.25, 0.5, 0.7, 0.9, 1 - 1e-10,
                  1 - EPS, 1 - 2 ** -53, 1.0]:
        for is_positive in (False, True):
            # log_loss of a single row is that row's term
            term = log_loss([is_positive], [score], labels=[False, True])
            table.append({'score': float(score), 'is_positive': is_positive, 'term': float(term)})
    return table


def ape_term_table():
    pairs = [(1.0, 1.2), (0.0, 0.1), (0.0, 0.0), (-2.0, 1.0), (1e-17, 0.5), (EPS, 1.0), (-EPS / 2, 1.0),
             (1e300, -1e300), (3.0, 3.0), (-0.5, -0.25)]
    return [{'truth': t, 'prediction': p, 'term': float(mean_absolute_percentage_error([t], [p]))} for t, p in pairs]


def write(name, payload):
    """One case per line: the large cases' aggregates stay readable in a diff."""
    items = list({'generated_by': 'scripts/gen_performance_fixtures.py', 'sklearn': sklearn.__version__,
                  'numpy': np.__version__, **payload}.items())
    compact = lambda v: json.dumps(v, separators=(',', ':'), allow_nan=False)
    lines = ['{']
    for i, (key, value) in enumerate(items):
        comma = ',' if i < len(items) - 1 else ''
        if isinstance(value, list):
            lines.append(f' {json.dumps(key)}: [')
            lines.extend('  ' + compact(item) + (',' if j < len(value) - 1 else '') for j, item in enumerate(value))
            lines.append(' ]' + comma)
        else:
            lines.append(f' {json.dumps(key)}: {compact(value)}{comma}')
    lines.append('}')
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print(f'wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)', file=sys.stderr)


def main():
    # Zero divisions and one-class AUC are among the cases on purpose.
    warnings.simplefilter('ignore', UndefinedMetricWarning)
    os.makedirs(OUT_DIR, exist_ok=True)
    write('classification-cases.json', {'cases': classification_cases(), 'log_loss_terms': log_loss_term_table()})
    write('regression-cases.json', {'cases': regression_cases(), 'ape_terms': ape_term_table()})


if __name__ == '__main__':
    main()
