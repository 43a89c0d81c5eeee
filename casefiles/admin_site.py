"""The admin site with an optional second factor: a user who has a confirmed device (a TOTP
authenticator app or a passkey; supervisors and auditors are asked to set one up) must prove
it to sign in, and a session not verified by the device grants no admin access. The code can
go with the password on the login page; without it a correct password leads to a second
step (casefiles/second_factor.py) that takes the code or the passkey."""

from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, _admin_template_for_django_version

from casefiles import authpolicy
from casefiles.errors import PermissionDenied


class OptionalOTPAuthenticationForm(OTPAdminAuthenticationForm):
    def clean(self):
        self.cleaned_data = super(OTPAdminAuthenticationForm, self).clean()
        user = self.get_user()
        if user is not None:
            # One policy with the API (casefiles/authpolicy.py): a role that needs a
            # second factor gets no session without one.
            try:
                authpolicy.refuse_without_required_device(user)
            except PermissionDenied as exc:
                raise ValidationError(exc.message, code="second_factor_required") from None
        # A device owner who typed no code is asked for the code or a passkey next.
        self.second_factor_pending = False
        if user is not None and user_has_device(user):
            if self.cleaned_data.get("otp_token"):
                self.clean_otp(user)
            else:
                self.second_factor_pending = True
        return self.cleaned_data


class CaseFilesAdminSite(AdminSite):
    site_header = "Case files"
    site_title = "Case files"
    login_form = OptionalOTPAuthenticationForm
    login_template = _admin_template_for_django_version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # django-otp-webauthn ships its ModelAdmin unregistered: administrators see who
        # holds which passkey and remove a lost one, as TOTP devices (registered by
        # django-otp itself).
        from django_otp_webauthn.admin import WebAuthnCredentialAdmin
        from django_otp_webauthn.models import WebAuthnCredential

        self.register(WebAuthnCredential, WebAuthnCredentialAdmin)

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return authpolicy.session_allowed(request.user)

    def login(self, request, extra_context=None):
        """Django's AdminSite.login (5.2), with one change: a correct password of a device
        owner who gave no code signs nobody in; the answer is the second step."""
        from django.contrib.auth import REDIRECT_FIELD_NAME
        from django.contrib.auth.views import LoginView
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from casefiles import second_factor

        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        site = self

        class PasswordThenDevice(LoginView):
            def form_valid(self, form):
                if not getattr(form, "second_factor_pending", False):
                    return super().form_valid(form)
                second_factor.second_factor_wait(
                    self.request, form.get_user(), self.get_success_url()
                )
                return second_factor.second_factor_page(self.request, site, after_password=True)

        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return PasswordThenDevice.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template,
        )(request)

    def get_urls(self):
        from casefiles import second_factor

        return second_factor.admin_urls(self) + super().get_urls()
