"""Load the demo organization: an agency with two client brands and a competitor, and a member of each role.

Idempotent: running it again keeps what exists. The demo's numbers come through the real import path: the
export-file generator in bench/ writes a year of the platforms' export files into var/demo-exports/, and every
file goes through ``import_batch_create`` + ``import_batch_run`` as the demo marketer, in collection order.
A file already imported into its brand (same sha256) is skipped, so a second run changes nothing.
"""

import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.core.management.base import BaseCommand

from accounts.models import Membership, Organization, Role
from accounts.services import brand_ensure, membership_ensure, organization_ensure

DEMO_PASSWORD = "kpiboard-demo"  # noqa: S105 (the printed demo login of a local, embedded install)
DEMO_ORG = "demo-agency"
DEMO_BRANDS = [
    ("glow-lab", "Glow Lab 光感实验室", "beauty", False),
    ("brew-house", "Brew House 醇萃咖啡", "beverage", False),
    ("lumi-beauty", "Lumi Beauty 露米", "beauty", True),
]
DEMO_SEED = 7
DEMO_MARKETER = "marketer@demo.kpiboard.local"
DEMO_MEMBERS = [
    ("owner@demo.kpiboard.local", Role.OWNER, "Demo Owner"),
    ("manager@demo.kpiboard.local", Role.MANAGER, "Demo Manager"),
    ("marketer@demo.kpiboard.local", Role.MARKETER, "Demo Marketer"),
    ("viewer@demo.kpiboard.local", Role.VIEWER, "Demo Viewer"),
    ("client@demo.kpiboard.local", Role.CLIENT, "Glow Lab Client"),
]


class Command(BaseCommand):
    help = "Create (idempotently) the demo agency, its brands and users, and load its data."
    # ``make run`` has just migrated and ``runserver`` checks again: the system checks here cost seconds for nothing.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--no-data", action="store_true", help="only the organization, brands and users")

    def handle(self, *args, no_data=False, **options):
        org, _ = organization_ensure(DEMO_ORG, name="Demo Agency 示范代理", kind=Organization.Kind.AGENCY)
        brands = {}
        for slug, name, industry, competitor in DEMO_BRANDS:
            brands[slug], _ = brand_ensure(org, slug, name=name, industry=industry, is_competitor=competitor)
        members = []
        for email, role, full_name in DEMO_MEMBERS:
            granted = [brands["glow-lab"]] if role == Role.CLIENT else None
            members.append(membership_ensure(org, email, role, full_name=full_name, brands=granted))
        # One hash for the five demo users (they share the printed password): PBKDF2 is slow on purpose, ~0.3 s each.
        get_user_model().objects.filter(pk__in=[m.user_id for m in members]).update(password=make_password(DEMO_PASSWORD))
        if not no_data:
            from metrics.services.imports import queries_unlogged

            with queries_unlogged():
                self.load_data(org, brands)
        self.stdout.write(self.style.SUCCESS("Demo organization ready: http://127.0.0.1:8000/"))
        self.stdout.write(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
        for email, role, _ in DEMO_MEMBERS:
            self.stdout.write(f"  {role:<9} {email}")

    def load_data(self, org, brands):
        """Feed the generated demo export files through the real import path (see metrics.services.imports)."""
        from bench.exportgen.demo import Manifest, default_end, generate_demo
        from metrics.models import ImportBatch
        from metrics.services.imports import import_batch_create, import_batch_run

        started = time.monotonic()
        out = Path(settings.BASE_DIR) / "var" / "demo-exports"
        # The last collections of the demo year happen on the morning of ``end``: before noon the generator ends
        # the year yesterday, so that no collection lies in the future of its import.
        end = default_end()
        manifest = None
        if (out / "manifest.json").is_file():
            try:
                manifest = Manifest.load(out)
            except (KeyError, ValueError, TypeError):
                manifest = None
            if manifest is not None and (manifest.end != end or manifest.seed != DEMO_SEED):
                manifest = None
        if manifest is None:
            self.stdout.write(f"Writing the demo export files into {out} …")
            manifest = generate_demo(out, seed=DEMO_SEED, end=end)
        marketer = Membership.objects.select_related("user").get(organization=org, user__email=DEMO_MARKETER)
        seen = set(ImportBatch.objects.filter(organization=org).values_list("brand_id", "sha256"))
        counts = {"imported": 0, "skipped": 0, "failed": 0}
        failures = []
        for entry in manifest.files:
            brand = brands.get(entry.brand)
            path = manifest.path_of(entry)
            if brand is None or not path.is_file():
                continue
            if (brand.pk, entry.sha256) in seen:
                counts["skipped"] += 1
                continue
            with path.open("rb") as fh:
                batch = import_batch_create(marketer, brand, File(fh, name=path.name),
                                            as_of=datetime.fromisoformat(entry.collected_at), enqueue=False)
            if batch.status == ImportBatch.Status.PENDING:
                batch = import_batch_run(batch.pk, org.pk) or batch
            seen.add((brand.pk, batch.sha256))
            if batch.status == ImportBatch.Status.SUCCEEDED:
                counts["imported"] += 1
            else:
                counts["failed"] += 1
                failures.append(f"{entry.path}: {batch.message}")
        from metrics.demo_tags import demo_posts_tag

        tagged = demo_posts_tag(org)  # what the demo's marketer would have tagged; 0 on a re-run
        self.stdout.write(f"Demo data: {counts['imported']} files imported, {counts['skipped']} already there, "
                          f"{counts['failed']} rejected, {tagged} post tags added "
                          f"({time.monotonic() - started:.0f} s).")
        for failure in failures[:10]:
            self.stderr.write(f"  rejected: {failure}")
