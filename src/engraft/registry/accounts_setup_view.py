"""What the account pages need to read beyond the account service: a second factor's set-up in progress.

The account page shows the authenticator secret while a person is setting up the second factor; when they
type a wrong code the page must show the *same* secret again (a new one would mean scanning again), and
the secret must not travel through the form. :func:`pending_totp_setup` reads it back from the account,
only while the second factor is not yet confirmed. Reading it is not audited: it is the person's own
secret, shown to their own session, and beginning the set-up was audited.
"""

from __future__ import annotations

import pyotp

from engraft.registry.accounts import TOTP_ISSUER, AccountService
from engraft.registry.accounts_schemas import TotpSetup
from engraft.registry.models import UserAccount
from engraft.registry.sealed_secrets import totp_context


def pending_totp_setup(accounts: AccountService, user_id: int) -> TotpSetup | None:
    """The secret (and provisioning URI) of a set-up begun but not confirmed; ``None`` otherwise."""
    with accounts.registry.read_snapshot() as session:
        user = session.get(UserAccount, user_id)
        if user is None or user.totp_enabled or user.totp_secret is None:
            return None
        secret = accounts.secrets.open_text(user.totp_secret, totp_context(user.id))
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
        return TotpSetup(secret=secret, provisioning_uri=uri)


__all__ = ["pending_totp_setup"]
