"""The admin's second factor: a TOTP code or a passkey (WebAuthn, django-otp-webauthn).

The password alone never signs in a user who has a confirmed device. A correct password
only marks the browser's session as *waiting* for the second factor (who, which backend,
since when); the user is signed in (``login`` + ``django_otp.login``) by the step that
proves the device. Until then the session is anonymous, so nothing that trusts a session
(the admin, the API's session authentication) sees a half-signed-in user.

Passkeys are registered from the admin's "Passkeys" page by a signed-in user whose session
is verified by their existing device, if they have one (the library refuses otherwise), and
are only ever a second factor: passwordless sign-in is off in the settings.
"""

import time

from django import forms
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import login as auth_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.i18n import JavaScriptCatalog
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import exceptions as webauthn_exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

PENDING = "casefiles.second_factor.pending"
# As long as the browser lets a passkey prompt wait (OTP_WEBAUTHN_TIMEOUT_SECONDS), a bit more.
PENDING_SECONDS = 5 * 60


class CodeForm(forms.Form):
    """The code of an authenticator app (TOTP). django-otp counts wrong codes per device
    and makes the next try wait longer each time."""

    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_otp_token(self):
        self.device = match_token(self.user, self.cleaned_data["otp_token"].strip())
        if self.device is None:
            raise forms.ValidationError(_("Wrong or expired code."), code="invalid")
        return self.cleaned_data["otp_token"]


def second_factor_wait(request, user, next_url: str) -> None:
    """The password was right: remember who is waiting for the second factor."""
    request.session.pop(PENDING, None)
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", None),
        "since": time.time(),
        "next": next_url if safe_next(request, next_url) else "",
    }


def waiting_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        return None
    user = get_user_model()._default_manager.filter(pk=pending["user"], is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def second_factor_done(request, user, device) -> str:
    """Sign the user in, verified by ``device``; returns where to go next."""
    pending = request.session.pop(PENDING, {})
    auth_login(
        request, user, backend=pending.get("backend") or request.session.get(BACKEND_SESSION_KEY)
    )
    otp_login(request, device)
    return pending.get("next") or reverse("admin:index")


def safe_next(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@sensitive_post_parameters()
@csrf_protect
@never_cache
def second_factor_page(request, site, *, after_password: bool = False):
    """Step two of signing in: the code of an authenticator app, or a passkey. The login
    view renders it in answer to a correct password; the code form posts back here."""
    user = waiting_user(request)
    if user is None:
        return redirect("admin:login")
    answered = request.method == "POST" and not after_password
    form = CodeForm(user, data=request.POST if answered else None)
    if form.is_bound and form.is_valid():
        return HttpResponseRedirect(second_factor_done(request, user, form.device))
    has_totp = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    context = {
        **site.each_context(request),
        "title": _("Second factor"),
        "form": form,
        "waiting_username": user.get_username(),
        "has_totp": has_totp,
        "has_passkey": has_passkey,
        "next": request.session[PENDING].get("next", ""),
    }
    request.current_app = site.name
    return TemplateResponse(request, "casefiles/admin/second_factor.html", context)


@never_cache
def passkeys_page(request, site):
    """The signed-in user's own passkeys: add one (named), remove one."""
    own = WebAuthnCredential.objects.filter(user=request.user)
    if request.method == "POST":
        wanted = request.POST.get("credential", "")
        # A primary key, or nothing (PostgreSQL refuses integers past bigint with a 500).
        is_key = wanted.isascii() and wanted.isdigit() and len(wanted) < 19
        credential = own.filter(pk=int(wanted)).first() if is_key else None
        if credential is None:
            messages.error(request, _("No such passkey of yours."))
        elif request.POST.get("action") == "remove":
            credential.delete()
            messages.success(request, _("Passkey “%(name)s” removed.") % {"name": credential.name})
        else:
            credential.name = (request.POST.get("name") or "").strip()[:64] or _(
                "Passkey %(number)s"
            ) % {"number": own.count()}
            credential.save(update_fields=["name"])
            messages.success(
                request,
                _(
                    "Passkey “%(name)s” added: from now on signing in "
                    "asks for it (or your authenticator app's code)."
                )
                % {"name": credential.name},
            )
        return redirect("admin:passkeys")
    context = {
        **site.each_context(request),
        "title": _("Passkeys"),
        "passkeys": own.order_by("created_at"),
    }
    request.current_app = site.name
    return TemplateResponse(request, "casefiles/admin/passkeys.html", context)


def admin_urls(site) -> list:
    return [
        path(
            "second-factor/",
            lambda request: second_factor_page(request, site),
            name="second-factor",
        ),
        path(
            "passkeys/",
            site.admin_view(lambda request: passkeys_page(request, site)),
            name="passkeys",
        ),
    ]


class PasskeyRegistrationMixin:
    """Only someone who may use the admin adds a passkey: a device owner's session must be
    verified (the library checks that too), and a half-signed-in session is anonymous."""

    def check_can_register(self):
        from django.contrib import admin

        if not admin.site.has_permission(self.request):
            raise webauthn_exceptions.NotAuthenticated()


class BeginPasskeyRegistration(
    PasskeyRegistrationMixin, webauthn_views.BeginCredentialRegistrationView
):
    pass


class CompletePasskeyRegistration(
    PasskeyRegistrationMixin, webauthn_views.CompleteCredentialRegistrationView
):
    pass


class SecondFactorPasskeyMixin:
    """The passkey ceremony for the user waiting after their password: the challenge names
    only that user's credentials, and the answer must come from one of them."""

    def get_user(self):
        return waiting_user(self.request)

    def check_can_authenticate(self):
        if self.get_user() is None:
            raise webauthn_exceptions.PasswordlessLoginDisabled()


class BeginPasskeySignIn(
    SecondFactorPasskeyMixin, webauthn_views.BeginCredentialAuthenticationView
):
    pass


class CompletePasskeySignIn(
    SecondFactorPasskeyMixin, webauthn_views.CompleteCredentialAuthenticationView
):
    def complete_auth(self, device):
        self.next_url = second_factor_done(self.request, device.user, device)

    def get_success_url(self):
        return self.next_url


# The library's JavaScript finds these endpoints by the names of its own URL namespace.
webauthn_urls = (
    [
        path(
            "registration/begin/",
            BeginPasskeyRegistration.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            CompletePasskeyRegistration.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            BeginPasskeySignIn.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            CompletePasskeySignIn.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)
