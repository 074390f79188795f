"""smartnoise-synth MST on a TSV (run with .venv-smartnoise/bin/python): fit + sample time, synthetic TSV out."""

import json
import random
import sys
import time

import numpy as np
import pandas as pd
from snsynth import Synthesizer

source, target, epsilon, delta, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
data = pd.read_csv(source, sep="\t", dtype=str)
random.seed(seed)
np.random.seed(seed)
start = time.perf_counter()
# delta passed explicitly: MSTSynthesizer defaults to delta=1e-9, not the 1e-5 NAPSU-MQ gets
synth = Synthesizer.create("mst", epsilon=epsilon, delta=delta, verbose=False)
synth.fit(data, categorical_columns=list(data.columns), preprocessor_eps=0.0)
fitted = time.perf_counter()
# MSTSynthesizer.sample() calls mbi's synthetic_data() with its default "round" method, broken in mbi 1.x:
# draw i.i.d. records with method="sample" and decode them the way sample() does.
raw = synth.synthesizer.synthetic_data(rows=len(data), method="sample")
decompressed = synth.undo_compress_fn(raw)
sample = pd.DataFrame(synth._transformer.inverse_transform([tuple(t[1:]) for t in decompressed.df.itertuples()]),
                      columns=data.columns)
done = time.perf_counter()
sample.to_csv(target, sep="\t", index=False)
print(json.dumps({"fit_s": fitted - start, "sample_s": done - fitted}))
