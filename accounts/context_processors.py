from accounts.models import Membership


def tenancy(request):
    """The active organization and the user's other organizations, for the header's switcher."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"active_membership": None, "active_org": None, "user_memberships": []}
    return {
        "active_membership": membership,
        "active_org": membership.organization,
        "user_memberships": list(
            Membership.objects.select_related("organization").filter(user=request.user).order_by("organization__name")
        ),
    }
