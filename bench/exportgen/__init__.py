"""Synthetic, format-faithful export files of China's social-platform backends.

See ``bench/exportgen/README.md`` (and /work/shared/domain/EXPORTS.md, the spec every writer follows).

- :mod:`bench.exportgen.demo` builds the demo organisation (brands, accounts, a year of posts, weekly
  collections) and writes every export plus a ``manifest.json``: ``generate_demo(out_dir, seed=7, end=date)``.
- :mod:`bench.exportgen.bulk` writes the large benchmark files (1M-row Qianchuan report, 1,000 XHS files).
- :mod:`bench.exportgen.selfcheck` regenerates the demo into a temp dir and checks every file.
"""

__version__ = "1"
