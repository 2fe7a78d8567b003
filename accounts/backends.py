"""Sign-in with Oracle E-Business Suite accounts.

Installed after Django's ModelBackend when ``ERP_AUTH_ENABLED`` is on, so local
accounts (administrators, break-glass) never depend on the ERP. The password is checked
by the ERP and never stored: ERP users have no usable local password.
"""

import logging
import re

from django.contrib.auth.backends import ModelBackend

from accounts import directory
from accounts.erp import ERPConfigError, ERPError, get_gateway

log = logging.getLogger(__name__)

# FND_USER.USER_NAME is at most 100 characters; anything else never reaches the ERP.
ERP_USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,100}$")


def erp_unavailable(request) -> bool:
    """True when this request's sign-in could not reach the ERP."""
    return bool(getattr(request, "erp_unavailable", False))


class OracleERPBackend(ModelBackend):
    """Authenticate against the ERP; create or update the local user on success.

    Returns None on every miss and never raises into the sign-in view; when the ERP
    cannot be asked, the request is marked so the page can say why.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        name = str(username).strip().upper()
        if not ERP_USERNAME.match(name) or len(password) > 256:
            return None
        gateway = get_gateway()
        try:
            if not gateway.validate_login(name, password):
                return None
            profile = gateway.get_profile(name)
        except ERPError as exc:
            level = logging.ERROR if isinstance(exc, ERPConfigError) else logging.WARNING
            log.log(level, "ERP sign-in of %s not checked: %s (%s)", name, exc, exc.code)
            self._mark_unavailable(request)
            return None
        except Exception:
            log.exception("ERP sign-in of %s failed unexpectedly", name)
            self._mark_unavailable(request)
            return None
        if profile is None:
            log.warning("ERP accepted %s but has no profile for it", name)
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
    def _mark_unavailable(request) -> None:
        if request is not None:
            request.erp_unavailable = True
