from django.conf import settings

from wangge.core.outbox import unread_count


def site(request):
    """Values every page template needs (map tiles, the menu's scene name)."""
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "MAP_TILE_SUBDOMAINS": settings.MAP_TILE_SUBDOMAINS,
        # lazily: one count query only on pages whose menu shows it
        "unread_messages": (lambda: _unread(request.user)),
    }


def _unread(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0

    return unread_count(user)
