"""Valid create payloads per model for the isolation test, and the foreign keys to try from another tenant."""

from dataclasses import dataclass
from typing import Callable

from accounts.models import Brand, Membership
from tests.factories import BrandFactory


@dataclass
class CreateCase:
    valid: Callable  # (org) -> payload
    foreign_keys: Callable = lambda org, other: {}  # (org, other_org) -> {field: value from other_org}
    format: str = "json"


def _membership_payload(org):
    brand = BrandFactory(organization=org)
    return {"email": f"new-{brand.pk}@example.com", "role": "client", "brands": [brand.pk]}


CREATE_PAYLOADS = {
    Brand: CreateCase(valid=lambda org: {"name": "Nova", "slug": f"nova-{Brand.objects.count()}"}),
    Membership: CreateCase(
        valid=_membership_payload,
        foreign_keys=lambda org, other: {"brands": [BrandFactory(organization=other).pk]},
    ),
}
