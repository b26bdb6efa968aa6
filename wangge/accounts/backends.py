"""Log in with a phone number or a username; lock the account after repeated failures."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.permissions import permissions_for
from wangge.audit import services as audit


class AccountLocked(Exception):
    pass


class PhoneOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username=login) | Q(phone=login)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for names
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.wangge_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        failures = user.failed_logins + 1
        locked_until = None
        if failures >= settings.LOGIN_MAX_FAILURES:
            locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            failures = 0
            audit.record(audit.Action.LOCKED, obj=user, detail={"until": locked_until.isoformat()})
            if request is not None:
                request.wangge_locked_until = locked_until
        else:
            audit.record(audit.Action.LOGIN_FAILED, obj=user, detail={"failures": failures})
        User.objects.filter(pk=user.pk).update(failed_logins=failures, locked_until=locked_until)
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
