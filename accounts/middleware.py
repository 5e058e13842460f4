"""The active organization of a page request: the session's choice, else the user's first membership."""

SESSION_KEY = "active_org_id"


def active_membership(request):
    from accounts.models import Membership

    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization", "user").filter(user=user)
    chosen = request.session.get(SESSION_KEY)
    membership = memberships.filter(organization_id=chosen).first() if chosen else None
    return membership or memberships.order_by("organization__name").first()


class ActiveOrganizationMiddleware:
    """Sets ``request.membership`` (None for anonymous users and users without an organization)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(("/static/", "/api/", "/healthz")):
            request.membership = None
        else:
            request.membership = active_membership(request)
        return self.get_response(request)
