"""Start moto's server with fixes for the few moto bugs the collection runs into.

Emulator handling lives here, outside the collection: roles and modules call AWS exactly as they
would call the real thing, and where moto departs from AWS, moto is mended, not the collection.

- KMS DisableKey, EnableKey, CancelKeyDeletion and ScheduleKeyDeletion: AWS accepts a key ARN as
  KeyId (amazon.aws.kms_key passes one); moto 5.2 looks the ARN up as a key id and fails with 500.
"""

import sys

from moto.kms.models import KmsBackend
from moto.server import main


def _accept_key_arns(name):
    original = getattr(KmsBackend, name)

    def method(self, key_id, *args, **kwargs):
        return original(self, self.get_key_id(key_id), *args, **kwargs)

    method.__name__ = name
    setattr(KmsBackend, name, method)


for _name in ("disable_key", "enable_key", "cancel_key_deletion", "schedule_key_deletion"):
    _accept_key_arns(_name)

if __name__ == "__main__":
    sys.exit(main())
