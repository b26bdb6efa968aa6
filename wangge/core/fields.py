"""Model fields for personal data: the database holds ciphertext, Python code sees plain text."""

from django.db import models

from wangge.core import crypto


class EncryptedBinaryField(models.BinaryField):
    """A file encrypted at rest (an uploaded ledger holds every ID number in it)."""

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt_bytes(bytes(value)) if value else b""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt_bytes(bytes(value)) if value else value


class EncryptedTextField(models.TextField):
    """Encrypted at rest (core.crypto); never filter on it: search through its blind-index field."""

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
