import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from tracker.roles import EDITOR, PUBLISHER

PASSWORD = "a-long-test-password"  # noqa: S105


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the site's default language. A request to /ru/… leaves Russian
    active in its thread (LocaleMiddleware activates the page's language, nothing turns it
    off after the response), so a later test in the same worker wrote dates in Russian."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def client():
    return Client(raise_request_exception=True)


def staff_member(django_user_model, username, role):
    user = django_user_model.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor(django_user_model):
    """A member of the Editor group: adds and changes records, cannot publish."""
    return staff_member(django_user_model, "editor", EDITOR)


@pytest.fixture
def publisher(django_user_model):
    """A member of the Publisher group."""
    return staff_member(django_user_model, "publisher", PUBLISHER)


@pytest.fixture
def editor_client(editor):
    return logged_in(editor)


@pytest.fixture
def publisher_client(publisher):
    return logged_in(publisher)


@pytest.fixture
def superuser_client(django_user_model):
    return logged_in(
        django_user_model.objects.create_superuser(
            username="admin", email="admin@example.org", password=PASSWORD
        )
    )
