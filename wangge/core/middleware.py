class ChineseFirstMiddleware:
    """Pages are Chinese unless the user picked English (the language cookie), whatever the browser says.

    Government desktops often run English-language browsers; the language switch in the page header is
    the one way to change it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
