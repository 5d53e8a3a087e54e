import pytest
from django.test import Client


@pytest.fixture
def client():
    return Client(raise_request_exception=True)


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser(
        username="editor", email="editor@example.org", password="a-long-test-password"
    )


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client
