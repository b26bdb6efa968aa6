from django.conf import settings


def site(request):
    """Values every page template needs (map tiles, the menu's scene name)."""
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "MAP_TILE_SUBDOMAINS": settings.MAP_TILE_SUBDOMAINS,
    }
