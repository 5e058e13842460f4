"""Signal receivers of the metrics app, connected in ``MetricsConfig.ready``."""

from __future__ import annotations

from metrics.services.categories import categories_seed_defaults


def organization_seed_categories(sender, instance, created, raw=False, **kwargs):
    """A new organization starts with the default category tree, so marketers can tag from the first import.

    Runs in the transaction that creates the organization (the organization and its tree exist together or not
    at all); fixtures being loaded (``raw``) are left as they are.
    """
    if created and not raw:
        categories_seed_defaults(instance)
