"""The editors' roles: Editor and Publisher, as Django groups with exact permissions.

- **Editor**: adds and changes every kind of record, saves drafts and sends them to
  review; may delete only records that were never public (see `was_public`). Cannot
  publish, withdraw or manage users.
- **Publisher**: everything an Editor does, and publishes, withdraws and deletes.

`ensure_roles()` makes the groups hold exactly these permissions. It runs after every
`migrate` (so a new database has the roles) and from `manage.py setup_roles`; running it
again changes nothing, and it puts back any permission someone removed by hand.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from tracker.choices import State
from tracker.history import recorded_models

EDITOR = "Editor"
PUBLISHER = "Publisher"

EDITING = ("add", "change", "delete", "view")


def edited_models():
    """Every model editors keep: each one keeps a history of its changes."""
    return recorded_models()


def published_models():
    """The models with a publication state, which carry the extra "publish" permission."""
    return [model for model in edited_models() if "publish" in model._meta.default_permissions]


def role_permissions(role):
    """The (action, model name) pairs a role holds."""
    pairs = [(action, model._meta.model_name) for model in edited_models() for action in EDITING]
    if role == PUBLISHER:
        pairs += [("publish", model._meta.model_name) for model in published_models()]
    return pairs


def ensure_roles(using="default"):
    """Create or correct both groups; returns {role: number of permissions}."""
    content_types = ContentType.objects.using(using).filter(
        app_label="tracker", model__in=[model._meta.model_name for model in edited_models()]
    )
    permissions = {
        (permission.codename, permission.content_type.model): permission
        for permission in Permission.objects.using(using)
        .filter(content_type__in=content_types)
        .select_related("content_type")
    }
    counts = {}
    for role in (EDITOR, PUBLISHER):
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = [
            permissions[(f"{action}_{model}", model)] for action, model in role_permissions(role)
        ]
        group.permissions.set(wanted)
        counts[role] = len(wanted)
    return counts


def can_publish(user, model):
    return user.has_perm(f"{model._meta.app_label}.publish_{model._meta.model_name}")


def publication_owner(record):
    """The record whose publication state `record` shares: itself, or the record it belongs to.

    A part of a record (an alias, a charge, an event, a citation…) names in `part_of` the
    field that holds the record it belongs to.
    """
    for _ in range(3):  # a citation of a case event of a case is the longest chain
        if record is None or hasattr(record, "state"):
            return record
        part_of = getattr(record, "part_of", None)
        record = getattr(record, part_of) if part_of else None
    return None


def was_public(record):
    """True when the record, or the record it is part of, is or was on the public site."""
    owner = publication_owner(record)
    return owner is not None and owner.state in (State.PUBLISHED, State.WITHDRAWN)
