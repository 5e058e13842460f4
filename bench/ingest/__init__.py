"""Ingestion benchmark: ``python -m bench.ingest.run`` (see ``bench/README.md``, section Ingestion)."""
