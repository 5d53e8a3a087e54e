from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Repression Tracker"

    def ready(self):
        from tracker import caching
        from tracker.search import index

        index.connect()
        caching.connect()
