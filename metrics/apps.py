from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self):
        from django.db.models.signals import post_save

        from accounts.models import Organization
        from metrics import signals

        post_save.connect(signals.organization_seed_categories, sender=Organization,
                          dispatch_uid="metrics.organization_seed_categories")
