"""What each role may do. Reads are open to every member (clients: their granted brands only)."""

from __future__ import annotations

OWNER, MANAGER, MARKETER, VIEWER, CLIENT = "owner", "manager", "marketer", "viewer", "client"
ALL_ROLES = (OWNER, MANAGER, MARKETER, VIEWER, CLIENT)

CAPABILITIES: dict[str, frozenset[str]] = {
    "read": frozenset(ALL_ROLES),
    "view_members": frozenset({OWNER, MANAGER, MARKETER, VIEWER}),
    "manage_members": frozenset({OWNER, MANAGER}),
    "manage_brands": frozenset({OWNER, MANAGER}),
    "manage_accounts": frozenset({OWNER, MANAGER, MARKETER}),
    "upload_data": frozenset({OWNER, MANAGER, MARKETER}),
    "tag_content": frozenset({OWNER, MANAGER, MARKETER}),
    "manage_categories": frozenset({OWNER, MANAGER, MARKETER}),
    "set_targets": frozenset({OWNER, MANAGER}),
    "manage_organization": frozenset({OWNER}),
}


def role_can(role: str, capability: str) -> bool:
    try:
        return role in CAPABILITIES[capability]
    except KeyError:
        raise KeyError(f"unknown capability {capability!r}") from None
