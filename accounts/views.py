"""Pages of the accounts app, and the page-side tenancy mixin every tenant page uses."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.forms import EmailAuthenticationForm
from accounts.middleware import SESSION_KEY
from accounts.models import Brand, Membership
from accounts.tenancy import scoped_get


class OrgPageMixin(LoginRequiredMixin):
    """Base of every tenant page: a signed-in member of the active organization with the capability.

    Views that take an id name the model in ``scoped_model`` and load it with ``get_scoped`` (404 for
    another tenant's id); the isolation test walks every such route.
    """

    capability = "read"
    scoped_model = None
    scoped_url_kwarg = "pk"  # the URL parameter that names the object
    scoped_lookup = "pk"  # the model field it matches

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.membership = request.membership
        if self.membership is None:
            return redirect("no-organization")
        self.organization = self.membership.organization
        if not self.membership.can(self.capability):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_scoped(self, model=None, **lookup):
        return scoped_get(model or self.scoped_model, self.membership, **lookup)

    def scoped(self, model):
        return model.objects.for_membership(self.membership)


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SwitchOrganizationView(LoginRequiredMixin, View):
    """POST: make another of the user's organizations the active one."""

    def post(self, request):
        slug = request.POST.get("org", "")
        membership = Membership.objects.filter(user=request.user, organization__slug=slug).first()
        if membership is None:
            raise Http404
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, _("Switched to %(org)s.") % {"org": membership.organization.name})
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return HttpResponseRedirect(target)


class NoOrganizationView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/no_organization.html"


class HomeView(OrgPageMixin, TemplateView):
    """The start page: the active organization's brands."""

    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["brands"] = self.scoped(Brand).order_by("is_competitor", "name")
        return context
