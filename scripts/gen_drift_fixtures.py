#!/usr/bin/env python3
"""Generate the reference values the drift statistics are tested against.

Run from the repository root:  python3 scripts/gen_drift_fixtures.py
Needs numpy and scipy (only here: CI reads the committed JSON and needs no Python).

Writes test/fixtures/drift/*.json. Small cases carry their data inline. Large
cases (n > 100,000) carry only a generator spec: the TypeScript tests rebuild
the same data with the same PRNG (test/unit/stats-fixture-rng.ts), which uses
only integer and IEEE-exact arithmetic so both languages produce identical
doubles:
  - mulberry32 (32-bit integer state), uniform = next() / 2**32
  - normal(mean, sd) = mean + sd * (u1 + ... + u12 - 6)   (Irwin-Hall, no log/cos)
  - integer(k) = floor(u * k)
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats._stats_py import _attempt_exact_2kssamp  # exact KS p-value for a given D

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'drift')
MASK = 0xFFFFFFFF
PSI_FLOOR = 1e-4


# ---------------------------------------------------------------- PRNG (mirrors stats-fixture-rng.ts)
class Mulberry32:
    def __init__(self, seed):
        self.state = seed & MASK

    def next_uint32(self):
        self.state = (self.state + 0x6D2B79F5) & MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK)) & MASK
        return (t ^ (t >> 14)) & MASK

    def uniform(self):
        return self.next_uint32() / 4294967296.0


def generate(spec):
    """Sample described by a JSON spec; see the module docstring."""
    rng = Mulberry32(spec['seed'])
    n = spec['n']
    kind = spec['distribution']
    out = np.empty(n, dtype=np.float64)
    if kind == 'normal':
        mean, sd = float(spec['mean']), float(spec['sd'])
        for i in range(n):
            s = 0.0
            for _ in range(12):
                s += rng.uniform()
            out[i] = mean + sd * (s - 6.0)
    elif kind == 'integer':
        k = spec['k']
        for i in range(n):
            out[i] = math.floor(rng.uniform() * k)
    else:
        raise ValueError(kind)
    return out


# ---------------------------------------------------------------- definitions computed with numpy/scipy
def decode(values):
    """Inline JSON data -> (finite numpy array, missing, type errors)."""
    finite, missing, errors = [], 0, 0
    for v in values:
        if v is None:
            missing += 1
        elif isinstance(v, str):  # "NaN", "Infinity", "-Infinity", or a stray string
            errors += 1
        else:
            finite.append(float(v))
    return np.array(finite, dtype=np.float64), missing, errors


def none_if_nan(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def decile_edges(ref):
    return np.unique(np.quantile(ref, np.arange(1, 10) / 10))


def psi(ref_counts, cur_counts):
    r = ref_counts / ref_counts.sum()
    c = cur_counts / cur_counts.sum()
    r = np.where(r == 0, PSI_FLOOR, r)
    c = np.where(c == 0, PSI_FLOOR, c)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_expected(ref, cur):
    n, m = len(ref), len(cur)
    result = {'reference_count': n, 'current_count': m}
    if n == 0 or m == 0:
        result.update(ks_statistic=None, ks_p_value=None, ks_method=None, psi=None, jensen_shannon=None,
                      wasserstein=None, wasserstein_normed=None, out_of_range_share=None,
                      bin_edges=[float(e) for e in decile_edges(ref)] if n else [])
        return result
    ks = stats.ks_2samp(ref, cur)
    edges = decile_edges(ref)
    rc = np.bincount(np.searchsorted(edges, ref, side='right'), minlength=len(edges) + 1).astype(float)
    cc = np.bincount(np.searchsorted(edges, cur, side='right'), minlength=len(edges) + 1).astype(float)
    w = stats.wasserstein_distance(ref, cur)
    sd = float(np.std(ref))
    result.update(
        ks_statistic=float(ks.statistic),
        ks_p_value=float(ks.pvalue),
        ks_method='exact' if max(n, m) <= 10000 else 'asymptotic',
        psi=psi(rc, cc),
        jensen_shannon=float(jensenshannon(rc / rc.sum(), cc / cc.sum())),
        wasserstein=float(w),
        wasserstein_normed=(float(w / sd) if sd > 0 else None),
        out_of_range_share=float(np.mean((cur < ref.min()) | (cur > ref.max()))),
        bin_edges=[float(e) for e in edges],
        reference_bin_counts=[int(x) for x in rc],
        current_bin_counts=[int(x) for x in cc],
    )
    return result


def categorical_expected(ref, cur):
    def clean(values):
        kept = [str(v).lower() if isinstance(v, bool) else v for v in values if v is not None and v != '']
        return kept, sum(1 for v in values if v is None or v == '')

    ref_vals, _ = clean(ref)
    cur_vals, _ = clean(cur)
    n, m = len(ref_vals), len(cur_vals)
    result = {'reference_count': n, 'current_count': m}
    if n == 0 or m == 0:
        result.update(chi2_statistic=None, chi2_dof=None, chi2_p_value=None, psi=None, jensen_shannon=None,
                      unseen_share=None)
        return result
    categories = sorted(set(ref_vals) | set(cur_vals), key=str)
    index = {c: i for i, c in enumerate(categories)}
    rc = np.zeros(len(categories))
    cc = np.zeros(len(categories))
    for v in ref_vals:
        rc[index[v]] += 1
    for v in cur_vals:
        cc[index[v]] += 1
    if len(categories) > 1:
        chi = stats.chi2_contingency(np.array([rc, cc]), correction=False)
        chi_stat, chi_p, dof = float(chi.statistic), float(chi.pvalue), int(chi.dof)
    else:
        chi_stat, chi_p, dof = 0.0, 1.0, 0  # what chi2_contingency returns for one column
    result.update(
        chi2_statistic=chi_stat, chi2_dof=dof, chi2_p_value=chi_p,
        psi=psi(rc, cc),
        jensen_shannon=float(jensenshannon(rc / rc.sum(), cc / cc.sum())),
        unseen_share=float(sum(cc[i] for c, i in index.items() if rc[i] == 0) / m),
    )
    return result


# ---------------------------------------------------------------- cases
def numeric_cases():
    cases = []

    def inline(name, ref, cur, note):
        r, rm, re_ = decode(ref)
        c, cm, ce = decode(cur)
        expected = numeric_expected(r, c)
        expected.update(reference_missing=rm, current_missing=cm, reference_type_errors=re_, current_type_errors=ce)
        cases.append({'name': name, 'note': note, 'reference': ref, 'current': cur, 'expected': expected})

    def generated(name, ref_spec, cur_spec, note):
        expected = numeric_expected(generate(ref_spec), generate(cur_spec))
        expected.update(reference_missing=0, current_missing=0, reference_type_errors=0, current_type_errors=0)
        cases.append({'name': name, 'note': note, 'reference_spec': ref_spec, 'current_spec': cur_spec,
                      'expected': expected})

    inline('tiny n=3 vs n=4', [0.5, 1.5, 2.5], [1.0, 2.0, 3.0, 4.0], 'n < 10, exact unequal sizes')
    inline('tiny equal n=5', [1.2, 3.4, 0.7, 2.2, 5.1], [2.5, 6.0, 4.4, 3.9, 7.3], 'equal sizes, exact')
    inline('single values', [1.0], [2.0], 'n = m = 1')
    inline('ties small integers', [1, 2, 2, 3, 3, 3, 4, 4, 5], [2, 3, 3, 4, 4, 4, 5, 5, 6, 6],
           'ties inside and across samples')
    inline('heavy ties dedupe edges', [0] * 30 + [1] * 5 + [2] * 3 + [7, 8], [0] * 10 + [1] * 20 + [2] * 5 + [9],
           'most deciles equal 0: edges deduplicated')
    inline('identical samples', [3.1, 1.2, 5.5, 2.2, 4.8, 0.3, 7.7], [3.1, 1.2, 5.5, 2.2, 4.8, 0.3, 7.7],
           'D = 0, p = 1, PSI = JS = W = 0')
    inline('constant reference', [4.0] * 12, [4.0] * 6 + [5.0] * 4 + [3.0] * 2,
           'reference std = 0: normalised Wasserstein undefined')
    inline('constant both samples', [2.5] * 8, [2.5] * 11, 'single value everywhere')
    inline('missing values', [1.0, None, 2.0, 3.5, None, 4.25, 5.0, 6.5], [None, 2.0, 2.5, None, None, 7.0, 8.0],
           'None is missing; statistics use the rest')
    inline('nan and infinity', [1.0, 'NaN', 2.0, 3.0, 'Infinity', 4.0, 5.0], [2.5, '-Infinity', 3.5, 'NaN', 6.0, 4.5],
           'non-finite values are type errors, excluded')
    inline('current entirely missing', [1.0, 2.0, 3.0], [None, None, None, None], 'no current values')
    inline('reference entirely missing', [None, None], [1.0, 2.0], 'no reference values')
    inline('negative and wide range', [-1e6, -3.5, 0.0, 2.25, 1e3, 5e5, -42.0, 17.0, 8.0, 99.0, -0.5],
           [-2e6, -1.0, 1.5, 3e3, 2.5e5, 12.0, -7.0, 64.0], 'values of very different magnitudes')
    inline('shift small samples', [0.1 * i for i in range(40)], [0.1 * i + 1.3 for i in range(25)],
           'clear shift, exact p-value small')
    inline('disjoint supports', [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [10.0, 11.0, 12.0, 13.0],
           'D = 1, every current value out of range')

    normal = lambda seed, n, mean=0.0, sd=1.0: {'seed': seed, 'n': n, 'distribution': 'normal', 'mean': mean, 'sd': sd}
    integer = lambda seed, n, k: {'seed': seed, 'n': n, 'distribution': 'integer', 'k': k}
    generated('exact unequal 300 vs 217', normal(11, 300), normal(12, 217, 0.3, 1.2), 'exact lattice-path p-value')
    generated('exact unequal 3000 vs 7001', normal(13, 3000), normal(14, 7001, 0.02), 'exact, larger sizes')
    generated('exact equal 10000 vs 10000', normal(15, 10000), normal(16, 10000, 0.03), 'largest exact, equal sizes')
    generated('asymptotic 10001 vs 9000', normal(17, 10001), normal(18, 9000, 0.02), 'just above the exact limit')
    generated('asymptotic small current 60 vs 20000', normal(19, 20000), normal(20, 60, 0.2),
              'effective n <= 140: Durbin matrix / Smirnov regions')
    generated('large normal shift 150000 vs 120000', normal(21, 150000), normal(22, 120000, 0.01, 1.0),
              'n > 100,000, asymptotic')
    generated('large same distribution 200000 vs 150000', normal(23, 200000, 5.0, 2.0),
              normal(24, 150000, 5.0, 2.0), 'n > 100,000, no drift')
    generated('large integers with ties 120000 vs 110000', integer(25, 120000, 100), integer(26, 110000, 100),
              'heavy ties, n > 100,000')
    generated('large integer shift 130000 vs 101000', integer(27, 130000, 20), integer(28, 101000, 21),
              'ties plus one new value in current')
    return cases


def categorical_cases():
    cases = []

    def inline(name, ref, cur, note):
        expected = categorical_expected(ref, cur)
        expected['reference_missing'] = sum(1 for v in ref if v is None or v == '')
        expected['current_missing'] = sum(1 for v in cur if v is None or v == '')
        cases.append({'name': name, 'note': note, 'reference': ref, 'current': cur, 'expected': expected})

    inline('basic strings', ['a'] * 40 + ['b'] * 35 + ['c'] * 25, ['a'] * 30 + ['b'] * 30 + ['c'] * 40, '3 categories')
    inline('unseen categories', ['red'] * 50 + ['blue'] * 50, ['red'] * 40 + ['blue'] * 35 + ['green'] * 20 + ['pink'] * 5,
           'current has categories the reference lacks')
    inline('vanished category', ['x'] * 20 + ['y'] * 20 + ['z'] * 10, ['x'] * 30 + ['y'] * 25, 'z missing in current')
    inline('booleans', [True] * 70 + [False] * 30, [True] * 55 + [False] * 45, 'booleans are categories')
    inline('single category', ['only'] * 10, ['only'] * 7, 'one category: dof 0, p = 1')
    inline('identical distributions', ['a', 'b', 'c', 'd'] * 25, ['a', 'b', 'c', 'd'] * 25, 'statistic 0, p = 1')
    inline('missing values', ['a', None, 'b', '', 'a', 'c', None, 'b', 'a'], ['b', None, 'c', 'c', '', 'a', 'c'],
           'None and empty string are missing')
    inline('current entirely missing', ['a', 'b'], [None, None, None], 'no current values')
    inline('tiny samples', ['u', 'v', 'u'], ['v', 'v', 'w', 'u'], 'n < 10')
    def generated(name, ref_spec, cur_spec, note):
        ref = ['c%d' % v for v in generate(ref_spec).astype(int)]
        cur = ['c%d' % v for v in generate(cur_spec).astype(int)]
        expected = categorical_expected(ref, cur)
        expected['reference_missing'] = 0
        expected['current_missing'] = 0
        cases.append({'name': name, 'note': note, 'reference_spec': ref_spec, 'current_spec': cur_spec,
                      'category_prefix': 'c', 'expected': expected})

    generated('large 150000 vs 120000', {'seed': 31, 'n': 150000, 'distribution': 'integer', 'k': 40},
              {'seed': 32, 'n': 120000, 'distribution': 'integer', 'k': 42},
              'n > 100,000; categories c0..c41, two unseen in the reference')
    many_ref = ['c%d' % (i % 57) for i in range(5000)] + ['rare%d' % i for i in range(30)]
    many_cur = ['c%d' % ((i * 7) % 61) for i in range(4200)]
    inline('many categories', many_ref, many_cur, '87 categories, some only on one side')
    return cases


def distribution_grids():
    kstwo = []
    for n in [1, 2, 3, 5, 10, 27, 50, 100, 139, 140, 141, 300, 1000, 5000, 20000, 100000, 100001, 400000, 1000001]:
        for z in [0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.36, 1.5, 1.63, 1.8, 2.0, 2.5, 3.0, 4.0, 6.0]:
            d = z / math.sqrt(n)
            if d < 1:
                kstwo.append({'n': n, 'd': d, 'sf': float(stats.kstwo.sf(d, n))})
        for d in [0.45, 0.5, 0.55, 0.75, 0.95]:
            kstwo.append({'n': n, 'd': d, 'sf': float(stats.kstwo.sf(d, n))})
    exact = []
    for n, m in [(1, 1), (2, 3), (4, 4), (7, 9), (10, 10), (12, 18), (25, 40), (100, 100), (100, 37), (250, 1000),
                 (999, 1000), (1500, 4000), (5000, 5000), (3001, 9973), (10000, 9999)]:
        g = math.gcd(n, m)
        lcm = n * m // g
        seen = set()
        for z in [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.2, 3.0, 4.5]:
            h = max(1, round(z * math.sqrt((n + m) / (n * m)) * lcm))
            if h > lcm or h in seen:
                continue
            seen.add(h)
            ok, d, p = _attempt_exact_2kssamp(n, m, g, h / lcm, 'two-sided')
            if ok:
                exact.append({'n': n, 'm': m, 'max_diff': h * g, 'p': float(p)})
    chi2 = []
    for df in [1, 2, 3, 4, 7, 10, 30, 99, 500, 5000, 100000]:
        for q in [1e-6, 0.01, 0.25, 0.5, 0.75, 0.95, 0.999, 1 - 1e-9]:
            x = float(stats.chi2.ppf(q, df))
            chi2.append({'x': x, 'df': df, 'sf': float(stats.chi2.sf(x, df))})
        for x in [df * 3.0 + 30, df * 10.0 + 200]:
            chi2.append({'x': x, 'df': df, 'sf': float(stats.chi2.sf(x, df))})
    return {'kstwo_sf': kstwo, 'ks_exact_two_sample': exact, 'chi2_sf': chi2}


def bh_cases():
    inputs = [
        [0.01, 0.04, 0.03, 0.2, 0.5],
        [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
        [0.5],
        [0.0, 1.0, 0.3, 0.3],
        [1e-30, 0.049, 0.051, 0.9],
    ]
    return [{'p': p, 'adjusted': [float(x) for x in stats.false_discovery_control(p, method='bh')]} for p in inputs]


def rng_check():
    rng = Mulberry32(42)
    uniforms = [rng.uniform() for _ in range(5)]
    return {'seed': 42, 'uniforms': uniforms,
            'normal_first5': [float(x) for x in generate({'seed': 7, 'n': 5, 'distribution': 'normal', 'mean': 1.5, 'sd': 2.0})],
            'integer_first5': [float(x) for x in generate({'seed': 9, 'n': 5, 'distribution': 'integer', 'k': 10})]}


def write(name, payload):
    payload = {'generated_by': 'scripts/gen_drift_fixtures.py', 'scipy': scipy.__version__,
               'numpy': np.__version__, **payload}
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        json.dump(payload, f, indent=1, allow_nan=False)
        f.write('\n')
    print(f'wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)', file=sys.stderr)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write('rng.json', rng_check())
    write('distributions.json', distribution_grids())
    write('benjamini-hochberg.json', {'cases': bh_cases()})
    write('categorical-cases.json', {'cases': categorical_cases()})
    write('numeric-cases.json', {'cases': numeric_cases()})


if __name__ == '__main__':
    main()
