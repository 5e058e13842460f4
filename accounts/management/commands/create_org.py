from django.core.management.base import BaseCommand

from accounts.models import Organization
from accounts.services import organization_ensure


class Command(BaseCommand):
    help = "Create an organization (idempotent): create_org SLUG --name NAME [--owner EMAIL] [--kind agency]"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", help="e-mail of the owner (created without a password if new)")
        parser.add_argument("--kind", choices=Organization.Kind.values, default=Organization.Kind.BRAND_TEAM)

    def handle(self, *args, slug, name, owner, kind, **options):
        org, created = organization_ensure(slug, name=name, kind=kind, owner_email=owner)
        self.stdout.write(f"{'created' if created else 'exists'}: organization {org.slug} ({org.name})")
