from django.core.exceptions import PermissionDenied


def require(user, perm: str) -> None:
    """Refuse an action the user's role does not allow (jurisdiction is checked separately, as 404)."""
    if not user.has_perm(perm):
        raise PermissionDenied(perm)
