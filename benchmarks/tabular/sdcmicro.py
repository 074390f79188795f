"""sdcMicro's published figures on its own test data, reproduced with deidflow's methods on the same data.

    .venv/bin/python benchmarks/tabular/sdcmicro.py --data SDCMICRO/data     # writes sdcmicro_results.{json,md} here

`--data` is the `data/` folder of an sdcMicro source tree (https://github.com/sdcTools/sdcMicro; measured with commit
cf32510, sdcMicro 5.8.1): `testdata.RData`, `testdata2.RData` and `francdat.rda` are read with pyreadr in
`.venv-peers` (a child process writes them as CSV; deidflow's venv does not carry an R-data reader). sdcMicro itself
is not run: every sdcMicro figure below is *published*, printed in the example output of its reference pages
(pkgdown site https://sdctools.github.io/sdcMicro/reference/, the `gh-pages` branch at commit d3523bb, built
2026-04-22 from sdcMicro 5.8.1) or asserted in its own tests (tests/testthat/*.R). A figure "matches" when deidflow's
value, rounded to the digits sdcMicro printed, is the printed value.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from deidflow.tabular import microaggregation, models, risk, suppression  # noqa: E402

PEERS = ROOT / ".venv-peers" / "bin" / "python"
PAGES = "https://sdctools.github.io/sdcMicro/reference/"
KV7 = ["urbrur", "roof", "walls", "water", "electcon", "relat", "sex"]
KV5 = ["urbrur", "roof", "walls", "water", "sex"]
NUM = ["expend", "income", "savings"]

# --- published figures (strings exactly as printed) -------------------------------------------------------------
MDAV_SUMMARY = {  # summary(microaggregation(testdata[1:100, NUM], method = "mdav", aggr = 4))$meansxm
    "expend": ["14471827", "22752145", "42916487", "48440371", "71888065", "91918606"],
    "income": ["4482460", "24675000", "46850000", "49180278", "65000000", "93725000"],
    "savings": ["872137", "2353262", "5116959", "4798498", "7020042", "9407783"]}
MDAV_MEASURES = {"amean": "0", "amedian": "0.1782512", "devvar": "0.3747106", "amad": "0.5343033",
                 "acov": "0.1873553", "acor": "0.25935", "acors": "0.6424174", "adlm": "0.1699611",
                 "util1 (dUtility IL1s)": "53.39995", "deigenvalues (dUtility eigen)": "0.0596172"}
LS_TESTDATA2 = {"urbrur": 3, "roof": 10, "walls": 7, "water": 56, "electcon": 0, "relat": 16, "sex": 5}  # total 97
LS_STRATA = {  # kAnon(testdata2[, c(kv, "ageG")], keyVars = 1:7, strataVars = 8): per stratum, total 109
    "AG1": [0, 10, 5, 24, 0, 3, 5], "AG2": [2, 5, 3, 13, 2, 2, 1], "AG3": [2, 3, 3, 7, 0, 2, 0],
    "AG4": [1, 1, 2, 3, 1, 1, 0], "AG5": [1, 2, 1, 1, 1, 1, 1]}
LS_FRANCDAT = {"Key2": 1, "Key3": 0, "Key4": 3}  # localSuppression(francdat, keyVar = c(4, 5, 6)), k = 2
FREQ_MISSING = {"fk": [3, 2, 4, 3, 3, 2, 2, 3], "Fk": [149.0, 84.5, 194.5, 563.0, 566.0, 549.0, 22.0, 149.0]}
RISK_HEAD = ["0.002785515", "0.002849003", "0.002785515", "0.002785515", "0.006211180", "0.006666667"]
RISK_HEAD_W = ["2.793218e-05", "2.857061e-05", "2.793218e-05", "2.793218e-05", "6.249609e-05", "6.710959e-05"]
LDIV = {  # ldiversity(testdata, keyVars = KV5, ldiv_index = c("electcon", "relat")): distinct l per record
    "electcon": ["1.000", "2.000", "3.000", "2.374", "3.000", "3.000"],
    "relat": ["1.000", "5.000", "5.000", "5.524", "7.000", "8.000"]}
LDIV_ENTROPY_HEAD = ["1.765424", "1.855345", "1.765424", "1.765424", "1.172525", "1.130836"]


def printed_match(ours: float, printed: str) -> bool:
    """deidflow's value rounded to the digits sdcMicro printed equals the printed value."""
    d = Decimal(printed)
    if "e" in printed.lower():
        digits = len(printed.lower().split("e")[0].replace(".", "").replace("-", "").lstrip("0"))
        return float(f"{ours:.{digits - 1}e}") == float(printed)
    quantum = Decimal(1).scaleb(d.as_tuple().exponent)
    return abs(Decimal(repr(float(ours))) - d) <= quantum / 2


def load(data: Path) -> dict[str, pd.DataFrame]:
    """sdcMicro's R data sets as data frames (pyreadr in .venv-peers writes them as CSV)."""
    files = {"testdata": "testdata.RData", "testdata2": "testdata2.RData", "francdat": "francdat.rda"}
    missing = [f for f in files.values() if not (data / f).is_file()]
    if missing:
        raise SystemExit(f"{data}: missing {', '.join(missing)} (pass sdcMicro's data/ folder with --data)")
    with tempfile.TemporaryDirectory() as tmp:
        code = ("import sys, pyreadr\nfor name, f in zip(sys.argv[3::2], sys.argv[4::2]):\n"
                "    pyreadr.read_r(sys.argv[1] + '/' + f)[name].to_csv(sys.argv[2] + '/' + name + '.csv', index=False)\n")
        args = [x for kv in files.items() for x in kv]
        subprocess.run([str(PEERS), "-c", code, str(data), tmp, *args], check=True)
        return {name: pd.read_csv(Path(tmp) / f"{name}.csv") for name in files}


def wildcard_frequencies(table: pd.DataFrame, keys: list[str], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sdcMicro's freqCalc reading of missing values: a missing key value matches every value (in either record).
    Returns fk and Fk per record. deidflow reads a suppressed cell as a value of its own instead."""
    x = table[keys].to_numpy(dtype=object)
    na = pd.isna(table[keys]).to_numpy()
    same = np.ones((len(x), len(x)), dtype=bool)
    for j in range(len(keys)):
        eq = x[:, j][:, None] == x[:, j][None, :]
        same &= eq | na[:, j][:, None] | na[:, j][None, :]
    return same.sum(axis=1), same.astype(float) @ weights


def strict_sizes(table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    return suppression.class_sizes(table[keys].astype(str).to_numpy(dtype=object))


def r_cut5(values: pd.Series) -> pd.Series:
    """R's cut(x, 5, labels = AG1..AG5): five equal-width, right-closed intervals, the range widened by 1/1000."""
    lo, hi = float(values.min()), float(values.max())
    breaks = np.linspace(lo, hi, 6)
    breaks[0], breaks[-1] = lo - (hi - lo) / 1000, hi + (hi - lo) / 1000
    return pd.cut(values, breaks, right=True, labels=[f"AG{i}" for i in range(1, 6)]).astype(str)


def row(figure: str, data: str, published: Any, ours: Any, match: bool | None, note: str = "") -> dict[str, Any]:
    return {"figure": figure, "data": data, "sdcMicro (published)": published, "deidflow": ours,
            "match": {True: "yes", False: "no", None: "differs by design"}[match], "note": note}


def mdav_rows(testdata: pd.DataFrame) -> list[dict[str, Any]]:
    x1 = testdata.iloc[:100][NUM].astype(float).reset_index(drop=True)
    start = time.perf_counter()
    agg = microaggregation.mdav(x1, NUM, 4)
    seconds = time.perf_counter() - start
    x2 = agg.table.astype(float)
    out = []
    names = ["Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max."]
    for c in NUM:
        s = x2[c]
        ours = [s.min(), s.quantile(0.25), s.median(), s.mean(), s.quantile(0.75), s.max()]
        ok = all(printed_match(o, p) for o, p in zip(ours, MDAV_SUMMARY[c]))
        out.append(row(f"MDAV k=4, {c}: {' / '.join(names)} of the released values", "testdata[1:100]",
                       " / ".join(MDAV_SUMMARY[c]), " / ".join(f"{v:.0f}" for v in ours), ok,
                       f"group means; {seconds:.3f} s for the three columns" if c == NUM[0] else ""))

    def mad(v: pd.Series) -> float:
        return float(1.4826 * (v - v.median()).abs().median())

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(np.abs(a - b) / np.abs(a)))

    p = len(NUM)
    lm1 = np.linalg.lstsq(np.c_[np.ones(100), x1.iloc[:, 1:]], x1.iloc[:, 0], rcond=None)[0]
    lm2 = np.linalg.lstsq(np.c_[np.ones(100), x2.iloc[:, 1:]], x2.iloc[:, 0], rcond=None)[0]
    e1 = np.sort(np.linalg.eigvalsh(x1.corr().to_numpy()))[::-1]
    e2 = np.sort(np.linalg.eigvalsh(x2.corr().to_numpy()))[::-1]
    ours = {"amean": rel(x1.mean().to_numpy(), x2.mean().to_numpy()),
            "amedian": rel(x1.median().to_numpy(), x2.median().to_numpy()),
            "devvar": rel(x1.cov().to_numpy(), x2.cov().to_numpy()) / p,  # R's var() of a data frame: the covariances
            "amad": rel(np.array([mad(x1[c]) for c in NUM]), np.array([mad(x2[c]) for c in NUM])),
            "acov": rel(x1.cov().to_numpy(), x2.cov().to_numpy()) / (2 * p),
            "acor": rel(x1.corr().to_numpy(), x2.corr().to_numpy()) / (2 * p),
            "acors": rel(x1.corr("spearman").to_numpy(), x2.corr("spearman").to_numpy()) / (2 * p),
            "adlm": float(np.abs(lm1[1:] - lm2[1:]).sum()),
            "util1 (dUtility IL1s)": float((np.abs(x1 - x2) / (x1.std() * math.sqrt(2))).to_numpy().sum()),
            "deigenvalues (dUtility eigen)": float(np.sum(np.abs(e1 - e2) / e1))}
    for name, printed in MDAV_MEASURES.items():
        out.append(row(f"MDAV k=4: {name}", "testdata[1:100]", printed, f"{ours[name]:.7g}",
                       printed_match(ours[name], printed) if name != "amean" else abs(ours[name]) < 1e-12,
                       "summary.micro's utility measure, formula from sdcMicro's R source"))
    return out


def risk_rows(d: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    td, fr = d["testdata"], d["francdat"]
    out = []
    fk = strict_sizes(fr, ["Key1", "Key2", "Key3", "Key4"])
    rk = risk.individual_risk(fr, ["Key1", "Key2", "Key3", "Key4"], fr["w"].to_numpy())
    published_rk = ["0.01714426", "0.02204233", "0.02204233", "0.17707583", "0.01165448", "0.29706308",
                    "0.40235948", "0.01714426"]
    out.append(row("freqCalc fk, indivRisk rk (Key1-4, w)", "francdat", "fk 2 2 2 1 1 1 1 2; rk " + " ".join(
        published_rk), f"fk {' '.join(map(str, fk))}; rk " + " ".join(f"{v:.8f}" for v in rk),
        fk.tolist() == [2, 2, 2, 1, 1, 1, 1, 2] and all(printed_match(a, b) for a, b in zip(rk, published_rk))))
    x = fr.copy()
    x.loc[2, "Key3"] = np.nan
    x.loc[3, ["Key1", "Key2"]] = np.nan
    x.loc[4, "Key4"] = np.nan
    x.loc[5, "Key1"] = np.nan
    wfk, wFk = wildcard_frequencies(x, ["Key1", "Key2", "Key3", "Key4"], x["w"].to_numpy())
    sfk = strict_sizes(x.astype(object).where(x.notna(), "*"), ["Key1", "Key2", "Key3", "Key4"])
    out.append(row("freqCalc fk / Fk with 5 missing key values", "francdat (NAs set as in ?freqCalc)",
                   f"fk {' '.join(map(str, FREQ_MISSING['fk']))}; Fk {' '.join(map(str, FREQ_MISSING['Fk']))}",
                   f"strict: fk {' '.join(map(str, sfk))}; wildcard reading: fk {' '.join(map(str, wfk))}, Fk "
                   f"{' '.join(f'{v:g}' for v in wFk)}", None,
                   "sdcMicro lets a missing value match every value; deidflow's `*` is a value of its own (the "
                   "conservative reading). With sdcMicro's reading (benchmark helper) the published fk/Fk come out "
                   + ("exactly" if wfk.tolist() == FREQ_MISSING["fk"] and wFk.tolist() == FREQ_MISSING["Fk"]
                      else "DIFFERENT")))
    for weighted, head, total in ((False, RISK_HEAD, "93"), (True, RISK_HEAD_W, "1.53")):
        w = td["sampling_weight"].to_numpy(dtype=float) if weighted else None
        start = time.perf_counter()
        r = risk.individual_risk(td, KV5, w)
        seconds = time.perf_counter() - start
        # weighted: sdcMicro prints p / (f - (1 - p)) for these large classes; the exact integral agrees to 6 digits
        ok = printed_match(r.sum(), total) and all(
            (abs(a / float(b) - 1) <= 1e-6) if weighted else printed_match(a, b) for a, b in zip(r[:6], head))
        out.append(row(f"measure_risk {'with' if weighted else 'without'} sampling weights: expected "
                       "re-identifications; risk of records 1-6", "testdata (4,580 rows; urbrur, roof, walls, "
                       "water, sex)", f"{total}; " + " ".join(head),
                       f"{r.sum():.{2 if weighted else 0}f}; " + " ".join(f"{v:.7g}" for v in r[:6]), ok,
                       f"{seconds:.3f} s" + ("; match to 6 significant digits: sdcMicro takes p/(f-(1-p)) for "
                                             "large classes, deidflow the exact integral" if weighted else "")))
    r7 = risk.individual_risk(td, KV7, td["sampling_weight"].to_numpy(dtype=float))
    out.append(row("localSupp(keyVar = urbrur, threshold = 0.045): records with risk >= 0.045 (suppressed)",
                   "testdata (7 keys, w)", "157", str(int((r7 >= 0.045).sum())), int((r7 >= 0.045).sum()) == 157))
    out.append(row("localSupp(keyVar = Key4, threshold = 0.15): records with risk >= 0.15", "francdat", "3",
                   str(int((rk >= 0.15).sum())), int((rk >= 0.15).sum()) == 3,
                   "the risk after the suppression (0.0036 for records 5 and 6) rests on the wildcard reading"))
    for c, printed in LDIV.items():
        classes = risk.keys(td, KV5)
        values = pd.factorize(td[c])[0]
        table = models.contingency(classes, classes.max() + 1, values, values.max() + 1)
        l_rec = pd.Series((table > 0).sum(axis=1)[classes].astype(float))
        ours = [l_rec.min(), l_rec.quantile(0.25), l_rec.median(), l_rec.mean(), l_rec.quantile(0.75), l_rec.max()]
        ok = all(printed_match(a, b) for a, b in zip(ours, printed))
        extra = ""
        if c == "electcon":
            ent = np.exp(models.entropy(table))[classes][:6]
            extra = "; entropy l of records 1-6 " + " ".join(f"{v:.7g}" for v in ent)
            ok = ok and all(printed_match(a, b) for a, b in zip(ent, LDIV_ENTROPY_HEAD))
        out.append(row(f"ldiversity, sensitive {c}: distinct l per record, Min./1st Qu./Median/Mean/3rd Qu./Max."
                       + (" ; entropy l of records 1-6" if c == "electcon" else ""), "testdata (urbrur, roof, walls, "
                       "water, sex)", " / ".join(printed) + ("; " + " ".join(LDIV_ENTROPY_HEAD) if extra else ""),
                       " / ".join(f"{v:.3f}" for v in ours) + extra, ok,
                       "deidflow's l-diversity contingency (models.contingency, models.entropy: exp of the entropy)"))
    return out


def suppression_rows(d: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    out = []
    fr = d["francdat"]
    keys = ["Key2", "Key3", "Key4"]
    s = suppression.local_suppression(fr.astype(str), keys, 2)
    out.append(_ls_row("localSuppression k=2 (Key2, Key3, Key4)", "francdat (8 rows)", LS_FRANCDAT, s, keys,
                       fr, fr["w"].to_numpy()))
    t2 = d["testdata2"]
    start = time.perf_counter()
    s = suppression.local_suppression(t2.astype(str), KV7, 2)
    seconds = time.perf_counter() - start
    out.append(_ls_row("localSuppression k=2 (7 keys)", "testdata2 (93 rows)", LS_TESTDATA2, s, KV7, t2,
                       t2["sampling_weight"].to_numpy(dtype=float), f"{seconds:.3f} s"))
    strata = r_cut5(t2["age"])
    per: dict[str, list[int]] = {}
    released = []
    for g in sorted(LS_STRATA):
        part = t2[strata == g]
        sg = suppression.local_suppression(part.astype(str), KV7, 2)
        per[g] = list(sg.per_column(KV7).values())
        released.append(sg.table)
    ours_total = sum(map(sum, per.values()))
    out.append(row("kAnon k=2 in 5 age strata (cut(age, 5)): suppressions per stratum, urbrur ... sex",
                   "testdata2 (93 rows)", "; ".join(f"{g} {' '.join(map(str, v))}" for g, v in LS_STRATA.items())
                   + f"; total {sum(map(sum, LS_STRATA.values()))}",
                   "; ".join(f"{g} {' '.join(map(str, per[g]))}" for g in LS_STRATA) + f"; total {ours_total}",
                   None, "strict reading (see the rows above); stratum sizes "
                   + " ".join(f"{g} {int((strata == g).sum())}" for g in sorted(LS_STRATA))))
    return out


def _ls_row(figure: str, data: str, published: dict[str, int], s: suppression.Suppressed, keys: list[str],
            original: pd.DataFrame, weights: np.ndarray, extra: str = "") -> dict[str, Any]:
    ours = s.per_column(keys)
    na = s.table[keys].where(~s.cells, np.nan)
    wfk, _ = wildcard_frequencies(na, keys, weights)
    strict = strict_sizes(s.table, keys)
    return row(figure, data, f"{sum(published.values())} ({', '.join(f'{k} {v}' for k, v in published.items())})",
               f"{s.count} ({', '.join(f'{k} {v}' for k, v in ours.items())}); k strict {strict.min()}, "
               f"k with sdcMicro's reading {wfk.min()}", None,
               "sdcMicro counts a suppressed cell as matching every value, so fewer cells reach k in its reading; "
               "deidflow's release reaches k in both readings (strict implies wildcard), sdcMicro's only in its "
               "own" + (f"; {extra}" if extra else ""))


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    head = ["figure", "data", "sdcMicro (published)", "deidflow", "match", "note"]
    lines = [f"Measured {meta['date']} on {meta['machine']} (Python {meta['python']}); sdcMicro's figures are "
             "published (reference pages / tests of sdcMicro 5.8.1), none was measured here.", "",
             "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(r[h]).replace("|", "\\|") for h in head) + " |")
    n = sum(r["match"] == "yes" for r in rows)
    lines += ["", f"{n} of {sum(r['match'] != 'differs by design' for r in rows)} comparable figures match; "
              f"{sum(r['match'] == 'differs by design' for r in rows)} differ by design (the reading of a "
              "suppressed cell)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="sdcMicro's data/ folder")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    d = load(args.data)
    rows = mdav_rows(d["testdata"]) + risk_rows(d) + suppression_rows(d)
    meta = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": f"{platform.machine()}, "
            f"{os.cpu_count()} cores", "python": platform.python_version(), "sdcMicro": "5.8.1 (published figures)",
            "pages": PAGES}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sdcmicro_results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    (args.out / "sdcmicro_results.md").write_text(markdown(rows, meta))
    for r in rows:
        print(f"[{r['match']}] {r['figure']} ({r['data']}): sdcMicro {r['sdcMicro (published)']} | deidflow "
              f"{r['deidflow']}")


if __name__ == "__main__":
    main()
