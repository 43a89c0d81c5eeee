"""The admin site with an optional second factor: a user who has a confirmed TOTP device
(supervisors and auditors are asked to set one up) must give a token to sign in, and a
session not verified by the device grants no admin access."""

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
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        return self.cleaned_data


class CaseFilesAdminSite(AdminSite):
    site_header = "Case files"
    site_title = "Case files"
    login_form = OptionalOTPAuthenticationForm
    login_template = _admin_template_for_django_version()

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return authpolicy.session_allowed(request.user)
