"""Load the demo organization: an agency with two client brands and a competitor, and a member of each role.

Idempotent: running it again keeps what exists. The demo's numbers come through the real import path
(the export-file generator in bench/ and the ingestion service) once it is available.
"""

from django.core.management.base import BaseCommand

from accounts.models import Organization, Role
from accounts.services import brand_ensure, membership_ensure, organization_ensure

DEMO_PASSWORD = "kpiboard-demo"  # noqa: S105 (the printed demo login of a local, embedded install)
DEMO_ORG = "demo-agency"
DEMO_BRANDS = [
    ("glow-lab", "Glow Lab 光感实验室", "beauty", False),
    ("brew-house", "Brew House 醇萃咖啡", "beverage", False),
    ("lumi-beauty", "Lumi Beauty 露米", "beauty", True),
]
DEMO_MEMBERS = [
    ("owner@demo.kpiboard.local", Role.OWNER, "Demo Owner"),
    ("manager@demo.kpiboard.local", Role.MANAGER, "Demo Manager"),
    ("marketer@demo.kpiboard.local", Role.MARKETER, "Demo Marketer"),
    ("viewer@demo.kpiboard.local", Role.VIEWER, "Demo Viewer"),
    ("client@demo.kpiboard.local", Role.CLIENT, "Glow Lab Client"),
]


class Command(BaseCommand):
    help = "Create (idempotently) the demo agency, its brands and users, and load its data."

    def add_arguments(self, parser):
        parser.add_argument("--no-data", action="store_true", help="only the organization, brands and users")

    def handle(self, *args, no_data=False, **options):
        org, _ = organization_ensure(DEMO_ORG, name="Demo Agency 示范代理", kind=Organization.Kind.AGENCY)
        brands = {}
        for slug, name, industry, competitor in DEMO_BRANDS:
            brands[slug], _ = brand_ensure(org, slug, name=name, industry=industry, is_competitor=competitor)
        for email, role, full_name in DEMO_MEMBERS:
            granted = [brands["glow-lab"]] if role == Role.CLIENT else None
            membership_ensure(org, email, role, password=DEMO_PASSWORD, full_name=full_name, brands=granted)
        if not no_data:
            self.load_data(org, brands)
        self.stdout.write(self.style.SUCCESS("Demo organization ready: http://127.0.0.1:8000/"))
        self.stdout.write("Sign in with any of these (password: %s):" % DEMO_PASSWORD)
        for email, role, _ in DEMO_MEMBERS:
            self.stdout.write(f"  {role:<9} {email}")

    def load_data(self, org, brands):
        """Feed the generated demo export files through the real import path (see metrics.ingestion)."""
        return
