from django.urls import path

from notifications.consumers import LiveConsumer

# The page learns it from helpdesk.context_processors.script_urls.
LIVE_ROUTE = "ws/"

websocket_urlpatterns = [
    path(LIVE_ROUTE, LiveConsumer.as_asgi()),
]
