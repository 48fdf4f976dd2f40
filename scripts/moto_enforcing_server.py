"""The emulator's moto server (scripts/moto_server.py, with its fixes) for the IAM enforcement proofs.

tests/integration/test_permissions.py starts it on a port of its own and turns moto's IAM
enforcement on (/moto-api/reset-auth). With enforcement on, moto checks each request's SigV4
signature, and one mistake of moto 5.2.5 refuses good signatures:

- moto/iam/access_control.py (IAMRequestBase._create_aws_request) rebuilds the signed request with
  ``data=self._body or self._data``: a GET or DELETE (no body) of the REST services (Route53,
  Lambda, ...) is re-signed with ``self._data``, which for those services is not the (empty)
  payload the client signed (for Route53 it is the request's headers), so the signature never
  matches (SignatureDoesNotMatch). (A query-protocol POST, whose form moto has parsed into
  ``self._data``, is right as it is.) SigV4 signs the payload as sent: "Create a canonical
  request for Signature Version 4", AWS General Reference,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (HashedPayload: the
  hash of the request body, the empty string's for a request without one). Here a GET, HEAD or
  DELETE is re-signed with the empty payload.

Nothing else changes: the collection and the roles see AWS's behaviour.
"""

import sys
from pathlib import Path

from moto.iam.access_control import IAMRequestBase


def sign_empty_payloads():
    """Re-sign a GET, HEAD or DELETE with the empty payload (see the module's docstring)."""
    original = IAMRequestBase._create_aws_request

    def _create_aws_request(self):
        request = original(self)
        if not self._body and self._method in ("GET", "HEAD", "DELETE"):
            request.data = b""  # a POST's form (the query protocol) is in self._data: that one is right
        return request

    IAMRequestBase._create_aws_request = _create_aws_request


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import moto_server  # its fixes apply on import

    sign_empty_payloads()
    sys.exit(moto_server.main())
