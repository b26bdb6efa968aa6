"""Log in with a phone number or a username (repeated failures: django-axes, see settings)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from wangge.accounts.models import User
from wangge.audit import services as audit
from wangge.core.permissions import permissions_for


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username=login) | Q(phone=login)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for names
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        # throttling is django-axes's (by name and address); this only records the failure on the account
        audit.record(audit.Action.LOGIN_FAILED, obj=user)
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if user_obj.is_superuser:
            return {"*"}
        return permissions_for(user_obj.role)

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        perms = self.get_all_permissions(user_obj, obj)
        return "*" in perms or perm in perms
