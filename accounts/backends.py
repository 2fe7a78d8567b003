"""Sign-in with Oracle E-Business Suite accounts.

Installed after Django's ModelBackend when ``ERP_AUTH_ENABLED`` is on, so local
accounts (administrators, break-glass) never depend on the ERP. The password is checked
by the ERP and never stored: ERP users have no usable local password.
"""

import logging
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts import directory
from accounts.erp import ERPConfigError, ERPError, ERPGateway, LoginStatus, get_gateway
from accounts.erp_failures import TooManyFailures, erp_check_reserve, erp_check_settle
from accounts.models import User

log = logging.getLogger(__name__)

# FND_USER.USER_NAME is at most 100 characters. EBS allows far more than letters and
# digits (its own check only refuses a few punctuation marks), and every value is a
# bind variable, so only what can never be a user name stays away from the ERP.
USERNAME_MAX = 100

# Why the ERP did not sign someone in, for the sign-in page (see SignInForm).
UNAVAILABLE = "erp_unavailable"
REFUSALS = {
    LoginStatus.LOCKED: "erp_locked",
    LoginStatus.EXPIRED: "erp_password_expired",
    LoginStatus.RESET: "erp_password_expired",
    LoginStatus.EXTERNAL: "erp_external",
}
FAILURE_LIMIT = "erp_failure_limit"
NO_CHECKS = "erp_no_checks"


def erp_username_allowed(name: str) -> bool:
    return 0 < len(name) <= USERNAME_MAX and name.isprintable()


def erp_refusal(request: HttpRequest | None) -> str:
    """The code of the reason this request's ERP sign-in was refused ('' when none)."""
    return getattr(request, "erp_refusal", "") if request is not None else ""


def erp_unavailable(request: HttpRequest | None) -> bool:
    """True when this request's sign-in could not reach the ERP."""
    return erp_refusal(request) == UNAVAILABLE


def _refuse(request: HttpRequest | None, code: str, **details: Any) -> None:
    if request is not None:
        # Read back by erp_refusal() and the sign-in form.
        setattr(request, "erp_refusal", code)  # noqa: B010 (not an HttpRequest attribute)
        setattr(request, "erp_refusal_details", details)  # noqa: B010


class OracleERPBackend(ModelBackend):
    """Authenticate against the ERP; create or update the local user on success.

    Returns None on every miss and never raises into the sign-in view; when the ERP
    cannot be asked or refuses for a reason the person can act on, the request is
    marked so the page can say why.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        name = str(username).strip().upper()
        if not erp_username_allowed(name) or len(password) > 256:
            return None
        gateway = get_gateway()
        try:
            status = self._check(request, gateway, name, password)
            if status is None:
                return None
            if status not in (LoginStatus.VALID, LoginStatus.INACTIVE):
                if status in REFUSALS:
                    _refuse(request, REFUSALS[status])
                log.info("ERP sign-in of %s refused: %s", name, status)
                return None
            profile = gateway.get_profile(name, language=self._language(request, name))
        except ERPError as exc:
            level = logging.ERROR if isinstance(exc, ERPConfigError) else logging.WARNING
            log.log(level, "ERP sign-in of %s not checked: %s (%s)", name, exc, exc.code)
            _refuse(request, UNAVAILABLE)
            return None
        except Exception:
            log.exception("ERP sign-in of %s failed unexpectedly", name)
            _refuse(request, UNAVAILABLE)
            return None
        if profile is None:
            log.warning("ERP answered %s for %s but has no profile for it", status, name)
            return None
        if status is LoginStatus.INACTIVE:
            # The password was not checked: only bring the local user in line.
            directory.refuse(profile)
            log.info("ERP user %s refused: account not active", name)
            return None
        try:
            user = directory.sign_in(profile)
        except Exception:
            log.exception("ERP user %s could not be saved locally", name)
            return None
        if user is None or not self.user_can_authenticate(user):
            return None
        return user

    @staticmethod
    def _check(
        request: HttpRequest | None, gateway: ERPGateway, name: str, password: str
    ) -> LoginStatus | None:
        """EBS's answer, unless one more wrong password could lock the account."""
        try:
            reservation = erp_check_reserve(username=name, limit=gateway.failure_limit())
        except TooManyFailures as exc:
            if exc.until is None:
                _refuse(request, NO_CHECKS)
            else:
                _refuse(request, FAILURE_LIMIT, until=exc.until)
            log.warning("ERP password of %s not checked: %s failures", name, exc.failures)
            return None
        status = None
        try:
            status = gateway.check_login(name, password)
        finally:
            erp_check_settle(reservation, failed=status is LoginStatus.WRONG)
        return status

    @staticmethod
    def _language(request: HttpRequest | None, name: str) -> str:
        """The language of the department name: the user's own, else the page's."""
        language = User.objects.filter(erp_username=name).values_list("language", flat=True).first()
        return language or getattr(request, "LANGUAGE_CODE", "") or ""
