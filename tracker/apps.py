from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Repression Tracker"

    def ready(self):
        from tracker.search import index

        index.connect()
