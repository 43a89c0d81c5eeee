// The admin's "Passkeys" page: once django-otp-webauthn's script has registered a passkey,
// post the name the user typed for it (a file of our own: the CSP allows no inline script).
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const form = document.getElementById("passkey-name-form");
  form.elements.credential.value = event.detail.id;
  form.submit();
});
