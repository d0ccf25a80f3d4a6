"""Who may do what: checks that services call before they act (issue #3).

Views may hide links with these too, but the services are where they are enforced.
"""

from ..errors import PermissionDenied


def is_authenticated(user):
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def require_login(user):
    """Raise PermissionDenied unless a logged-in, active user acts."""
    if not is_authenticated(user):
        raise PermissionDenied("login required")


def require_role(user, *roles):
    """Raise PermissionDenied unless the user has one of the roles (admin always may)."""
    require_login(user)
    if not user.has_role("admin", *roles):
        raise PermissionDenied(f"role {roles} required")


def require_admin(user):
    require_role(user, "admin")


def may_edit_organization(user, organization_id):
    """Return True for an admin or an active editor-member of the organisation."""
    if not is_authenticated(user):
        return False
    if user.is_admin:
        return True
    return user.has_role("editor") and organization_id in user.organization_ids


def require_organization_editor(user, organization_id):
    """Raise PermissionDenied unless the user may edit the organisation's listings."""
    require_login(user)
    if not may_edit_organization(user, organization_id):
        raise PermissionDenied(f"not an editor of organisation {organization_id}")


def may_moderate(user, area_ids):
    """Return True for an admin, or a broker responsible for one of the areas.

    A listing with no area (a service for the whole municipality) may be moderated by
    every broker. The area rule only: services ask directory.scopes.may_moderate, which adds
    the municipality of a region (issue #20).
    """
    if not is_authenticated(user):
        return False
    if user.is_admin:
        return True
    if not user.is_broker:
        return False
    area_ids = set(area_ids)
    return not area_ids or bool(area_ids & user.area_ids)


def require_moderator(user, area_ids):
    """Raise PermissionDenied unless the user may moderate listings in these areas."""
    require_login(user)
    if not may_moderate(user, area_ids):
        raise PermissionDenied("not a broker for these areas")


def require_confirmed(user):
    """Raise PermissionDenied unless a logged-in user has confirmed their e-mail address."""
    require_login(user)
    if not user.email_confirmed:
        raise PermissionDenied("e-mail address not confirmed")
