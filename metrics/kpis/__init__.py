"""The KPI engine: read-only query functions that dashboards, the API, exports and reports all call, so that a
number is the same everywhere.

Public functions (each docstring gives its formula):

- ``kpi_report(scope, period, metrics=None)`` / ``kpi_totals(scope, period, metrics)`` — KPIs with the previous
  period and the change, content level and account level apart (``metrics.kpis.kpis``);
- ``funnel(scope, period)`` — KPIs by funnel stage with each stage's content-quality KPI, per platform and in
  total (``metrics.kpis.funnel``);
- ``category_comparison(scope, period, metrics, paid=…, with_items=…)`` — the guide's category analysis with
  medians (``metrics.kpis.categories``);
- ``benchmarks(scope, period, paid=…, top=…)`` — account-level and content-level benchmarks against competitors
  (``metrics.kpis.benchmarks``);
- ``anomalies(scope, period, thresholds=None)`` — flags with readable reasons (``metrics.kpis.anomalies``).

Every one takes a ``Scope`` (organization, visible brands, filters) and a ``Period`` (``metrics.kpis.scope``),
returns plain dataclasses (labels from the metric catalog, values as float or None, n beside every median and
mean) and is cached per organization, scope, period and the brands' data versions (``metrics.kpis.cache``);
pass ``use_cache=False`` to bypass.

Sums and ratios. A base metric over a period is Σ of its daily deltas (``DailyRollup``, never cumulative
counters); a derived KPI is Σ numerator / Σ denominator × scale (the catalog's ``ratio_of_sums``, each
platform's own engagement formula); a zero or missing denominator gives None (empty), not 0 and not an error.

Median (``MEDIAN_DEFINITION``). The median of a metric over a group of posts is ``percentile_cont(0.5)``: the
middle value when the number of values n is odd, the mean of the two middle values (linear interpolation at
the 50th percentile) when n is even. The rows are the posts *published* in the period (Beijing days, both ends
included), each with its lifetime-to-date value as of the period's end, i.e. the sum of its daily facts
(``PostDailyFact``, or their per-post total ``PostTotal`` when all of them lie in the period) up to the end date
— never raw snapshots and never a mean of ratios over days. Posts whose
value is unknown (metric not reported) are left out; zeros count. n is always returned beside the median and
the mean. PostgreSQL computes it in SQL; SQLite gets the same per-post values from one query and computes the
same number in Python.
"""

from metrics.kpis.anomalies import AnomalyThresholds, anomalies
from metrics.kpis.benchmarks import benchmarks
from metrics.kpis.categories import MEDIAN_DEFINITION, category_comparison
from metrics.kpis.funnel import funnel
from metrics.kpis.kpis import kpi_report, kpi_totals
from metrics.kpis.scope import Granularity, PaidMode, Period, Preset, Scope

__all__ = [
    "MEDIAN_DEFINITION",
    "AnomalyThresholds",
    "Granularity",
    "PaidMode",
    "Period",
    "Preset",
    "Scope",
    "anomalies",
    "benchmarks",
    "category_comparison",
    "funnel",
    "kpi_report",
    "kpi_totals",
]
