"""Chart rendering cost, measured in fresh interpreters: matplotlib's import (time, RSS added),
one chart's render (first and warm), and that the analyzer does not load matplotlib at all.

Writes benchmarks/results/charts.json. Budgets: import <= 1.5 s and <= 80 MB RSS added (paid once
per run worker, in the incident_packet step only), warm render <= 0.5 s per chart; analyzer: 0 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "charts.json"
PROBE = r"""
import json, resource, time
from pathlib import Path
def rss():
    return int(Path('/proc/self/statm').read_text().split()[1]) * 4096 / 1e6
from tests.unit.charts.test_charts import _packet_and_loader
from opsrunbook_dagster.charts.metric_charts import render_charts
import opsrunbook_dagster.analysis.packet_builder
packet, stored = _packet_and_loader()
load = lambda key, sha: stored[key]
import sys
analyzer_loads_matplotlib = 'matplotlib' in sys.modules
before = rss()
t = time.perf_counter()
import matplotlib, matplotlib.figure, matplotlib.backends.backend_agg, matplotlib.dates
imported = time.perf_counter() - t
after_import = rss()
t = time.perf_counter(); first = render_charts(packet, load); first_s = time.perf_counter() - t
warm = []
for _ in range(5):
    t = time.perf_counter(); again = render_charts(packet, load); warm.append(time.perf_counter() - t)
print(json.dumps({
    "analyzer_loads_matplotlib": analyzer_loads_matplotlib,
    "matplotlib_import_s": round(imported, 3),
    "matplotlib_import_rss_mb": round(after_import - before, 1),
    "first_render_s": round(first_s, 3),
    "warm_render_s": round(sorted(warm)[len(warm) // 2], 3),
    "rss_after_renders_mb": round(rss(), 1),
    "png_bytes": len(first[0].png),
    "identical_bytes": first[0].png == again[0].png,
    "matplotlib": matplotlib.__version__,
}))
"""


def main() -> int:
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout))
    median = {
        k: sorted(r[k] for r in runs)[1] if isinstance(runs[0][k], float) else runs[0][k] for k in runs[0]
    }
    RESULTS.write_text(json.dumps({"median_of_3": median, "runs": runs}, indent=2, sort_keys=True) + "\n")
    print(f"charts: matplotlib import {median['matplotlib_import_s']} s / +{median['matplotlib_import_rss_mb']} MB, "
          f"render first {median['first_render_s']} s, warm {median['warm_render_s']} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
