"""Baseline of `npm run bench:analyzer`: the same statistics by scipy / numpy on the same
data, already in memory (loading is not timed).

Per numeric column: scipy.stats.ks_2samp, scipy.stats.wasserstein_distance (and / np.std
of the reference), decile bins (np.quantile edges, left-closed bins) with PSI and
scipy.spatial.distance.jensenshannon. Per categorical column: the 2 x k table and
scipy.stats.chi2_contingency(correction=False), with PSI and Jensen-Shannon.

    python3 bench/analyzer_baseline.py <data dir> <rows per side> <numeric> <categorical>

Reads reference-numeric.f64 / current-numeric.f64 (row-major float64, NaN = missing) and
reference-categorical.u8 / current-categorical.u8 (row-major codes, 255 = missing), as
bench/analyzer-data.ts writes them. Prints one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon


def shares(counts):
    total = counts.sum()
    return counts / total if total > 0 else counts.astype(float)


def psi(reference, current):
    p = np.where(reference == 0, 1e-4, reference)
    q = np.where(current == 0, 1e-4, current)
    return float(np.sum((q - p) * np.log(q / p)))


def main():
    directory, rows, numeric, categorical = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

    def load(name, dtype, width):
        return np.fromfile(f"{directory}/{name}", dtype=dtype).reshape(-1, width)[:rows]

    ref_num, cur_num = load("reference-numeric.f64", np.float64, numeric), load("current-numeric.f64", np.float64, numeric)
    ref_cat, cur_cat = load("reference-categorical.u8", np.uint8, categorical), load("current-categorical.u8", np.uint8, categorical)
    # Columns as separate contiguous arrays, as a pipeline holding the data would have them.
    ref_cols = [np.ascontiguousarray(ref_num[:, j]) for j in range(numeric)]
    cur_cols = [np.ascontiguousarray(cur_num[:, j]) for j in range(numeric)]
    ref_codes = [np.ascontiguousarray(ref_cat[:, j]) for j in range(categorical)]
    cur_codes = [np.ascontiguousarray(cur_cat[:, j]) for j in range(categorical)]

    results = {}
    started = time.perf_counter()
    for j in range(numeric):
        r = ref_cols[j][~np.isnan(ref_cols[j])]
        c = cur_cols[j][~np.isnan(cur_cols[j])]
        ks = stats.ks_2samp(r, c)
        w = stats.wasserstein_distance(r, c)
        std = np.std(r)
        edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
        rb = np.bincount(np.searchsorted(edges, r, side="right"), minlength=len(edges) + 1)
        cb = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1)
        p, q = shares(rb), shares(cb)
        results[f"num_{j}"] = {
            "ks": float(ks.statistic), "ks_p": float(ks.pvalue), "wasserstein": float(w),
            "wasserstein_normed": float(w / std) if std > 0 else None, "psi": psi(p, q), "jensen_shannon": float(jensenshannon(p, q)),
        }
    for j in range(categorical):
        r = ref_codes[j][ref_codes[j] != 255]
        c = cur_codes[j][cur_codes[j] != 255]
        size = int(max(r.max(initial=0), c.max(initial=0))) + 1
        table = np.vstack([np.bincount(r, minlength=size), np.bincount(c, minlength=size)])
        table = table[:, table.sum(axis=0) > 0]
        chi2 = stats.chi2_contingency(table, correction=False)
        p, q = shares(table[0]), shares(table[1])
        results[f"cat_{j}"] = {"chi2": float(chi2.statistic), "chi2_p": float(chi2.pvalue), "psi": psi(p, q), "jensen_shannon": float(jensenshannon(p, q))}
    seconds = time.perf_counter() - started

    print(json.dumps({
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statistics": results,
    }))


if __name__ == "__main__":
    main()
