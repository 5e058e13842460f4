from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.services import brand_ensure


class Command(BaseCommand):
    help = "Create a brand in an organization (idempotent): create_brand ORG_SLUG BRAND_SLUG --name NAME"

    def add_arguments(self, parser):
        parser.add_argument("org_slug")
        parser.add_argument("brand_slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--industry", default="")
        parser.add_argument("--competitor", action="store_true", help="a competitor's brand, for benchmarks")

    def handle(self, *args, org_slug, brand_slug, name, industry, competitor, **options):
        org = Organization.objects.filter(slug=org_slug).first()
        if org is None:
            raise CommandError(f"No organization with slug {org_slug!r}.")
        brand, created = brand_ensure(org, brand_slug, name=name, industry=industry, is_competitor=competitor)
        self.stdout.write(f"{'created' if created else 'exists'}: brand {org.slug}/{brand.slug} ({brand.name})")
