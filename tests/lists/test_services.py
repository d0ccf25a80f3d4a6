"""Issue #19: lists to hand over — in the session or an account, reorder and remove, e-mail through the
outbox without keeping the address, a short link that expires after 90 days, the broker's note."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.accounts import privacy as account_privacy
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.lists import services
from sociale_kaart.lists.models import ServiceList, ServiceListItem, SharedList
from sociale_kaart.matching import handouts
from sociale_kaart.matching.models import RequestEvent
from sociale_kaart.notify import services as notify
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import TEST_PASSWORD, make_service, make_user
from tests.lists.helpers import TYPED_ADDRESS, make_village, three_services
from tests.matching.factories import make_broker, make_request


@pytest.fixture
def village(app):
    area = make_village()
    return area, three_services(area)


def _names(ids):
    return [service.name for service in services.load_services(ids)]


# --- a list without an account: service ids in the session ---------------------------------------------


def test_a_session_list_keeps_only_service_ids_in_order(village):
    _area, (cafe, shopping, money) = village
    store = {}
    for service in (money, cafe, shopping, cafe):  # the second click on the same service changes nothing
        services.add_service(service.id, None, store)
    assert store == {services.SESSION_KEY: [money.id, cafe.id, shopping.id]}
    assert _names(services.list_ids(None, store)) == ["Geldhulp", "Mantelzorgcafé", "Boodschappenhulp"]


def test_moving_up_and_down_and_removing_change_the_order(village):
    _area, (cafe, shopping, money) = village
    store = {services.SESSION_KEY: [cafe.id, shopping.id, money.id]}
    assert services.move_service(money.id, "up", None, store) == [cafe.id, money.id, shopping.id]
    assert services.move_service(cafe.id, "down", None, store) == [money.id, cafe.id, shopping.id]
    assert services.move_service(money.id, "up", None, store) == [money.id, cafe.id, shopping.id]  # first stays
    assert services.remove_service(cafe.id, None, store) == [money.id, shopping.id]
    with pytest.raises(ValidationError):
        services.remove_service(cafe.id, None, store)
    with pytest.raises(ValidationError):
        services.move_service(money.id, "sideways", None, store)


@pytest.mark.parametrize("odd", [None, 0, -1, 2**31, "abc", "²", [1], 1.5, True])
def test_odd_values_in_a_session_list_are_dropped(village, odd):
    _area, (cafe, _shopping, _money) = village
    assert services.list_ids(None, {services.SESSION_KEY: [odd, cafe.id, cafe.id]}) == [cafe.id]
    if not isinstance(odd, list):
        assert services.list_ids(None, {services.SESSION_KEY: odd}) == []


@pytest.mark.parametrize("service_id", [None, 0, 2**31 - 1])
def test_an_unknown_service_cannot_be_added(village, service_id):
    store = {}
    with pytest.raises(NotFound):
        services.add_service(service_id, None, store)
    assert store == {}


def test_an_unpublished_service_cannot_be_added_and_leaves_a_list_quietly(village):
    _area, (cafe, shopping, _money) = village
    store = {}
    services.add_service(cafe.id, None, store)
    services.add_service(shopping.id, None, store)
    shopping.publication_status = "archived"
    db.session.commit()
    with pytest.raises(NotFound):
        services.add_service(shopping.id, None, {})
    page = services.list_page(None, store)
    assert [service.name for service in page.services] == ["Mantelzorgcafé"] and page.missing == 1


def test_a_full_list_says_so(village, monkeypatch):
    _area, (cafe, shopping, money) = village
    monkeypatch.setattr(services, "MAX_ITEMS", 2)
    store = {}
    services.add_service(cafe.id, None, store)
    services.add_service(shopping.id, None, store)
    with pytest.raises(ValidationError, match="vol"):
        services.add_service(money.id, None, store)


# --- a list with an account: kept in the database until removed ------------------------------------------


def test_an_account_list_is_kept_in_the_database_until_removed(village):
    _area, (cafe, shopping, money) = village
    resident = make_user(roles=("resident",))
    for service in (cafe, shopping, money):
        services.add_service(service.id, resident, {})
    services.move_service(money.id, "up", resident, {})
    db.session.expire_all()
    assert _names(services.list_ids(resident, {})) == ["Mantelzorgcafé", "Geldhulp", "Boodschappenhulp"]
    positions = db.session.execute(
        select(ServiceListItem.service_id, ServiceListItem.position).order_by(ServiceListItem.position)
    ).all()
    assert positions == [(cafe.id, 1), (money.id, 2), (shopping.id, 3)]
    services.remove_service(cafe.id, resident, {})
    services.clear_list(resident, {})
    assert services.list_ids(resident, {}) == []
    assert db.session.scalar(select(ServiceListItem.service_id)) is None


def test_an_account_list_is_in_the_data_download_and_goes_with_the_account(village):
    _area, (cafe, _shopping, money) = village
    resident = make_user(roles=("resident",))
    services.add_service(money.id, resident, {})
    services.add_service(cafe.id, resident, {})
    data = account_privacy.export_data(resident)
    assert data["service_list"]["services"] == ["Geldhulp", "Mantelzorgcafé"]
    account_privacy.delete_account(resident, TEST_PASSWORD, by=resident)
    assert db.session.scalar(select(ServiceList.id)) is None
    assert db.session.scalar(select(ServiceListItem.service_id)) is None


# --- handing it over --------------------------------------------------------------------------------------


def _table_values():
    """Return every text value in every table of the database."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            values.extend(str(value) for value in row if isinstance(value, str))
    return values


class _Kept:
    def __init__(self):
        self.messages = []

    def send(self, message, name):
        self.messages.append(message)


def test_an_e_mailed_list_goes_through_the_outbox_and_its_address_is_not_kept(village):
    area, (cafe, shopping, money) = village
    store = {services.SESSION_KEY: [cafe.id, shopping.id, money.id]}
    services.send_list(f"  {TYPED_ADDRESS} ", None, store, "nl")
    queued = db.session.scalars(select(OutboxMessage)).one()
    assert queued.to_address == TYPED_ADDRESS and queued.template == services.MAIL_TEMPLATE
    for text in (
        "Mantelzorgcafé",
        "0343 000 111",
        "Boodschappenhulp",
        "0343 000 101",
        "Kampweg 12",
        area.contact_phone,
    ):
        assert text in queued.body_text  # the organisation's phone when the service has none
    token = db.session.scalar(select(SharedList.token))
    assert f"/l/{token}" in queued.body_text
    transport = _Kept()
    assert notify.send_due(transport=transport) == (1, 0)
    assert [message["To"] for message in transport.messages] == [TYPED_ADDRESS]
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.id)) is None
    assert not [value for value in _table_values() if TYPED_ADDRESS in value]


def test_a_message_that_fails_for_good_is_not_kept_either(village, app):
    _area, (cafe, _shopping, _money) = village
    services.send_list(TYPED_ADDRESS, None, {services.SESSION_KEY: [cafe.id]}, "nl")
    app.config["MAIL_MAX_ATTEMPTS"] = 1

    class Refusing:
        def send(self, message, name):
            raise notify.DeliveryError("550 no such mailbox")

    assert notify.send_due(transport=Refusing()) == (0, 1)
    assert not [value for value in _table_values() if TYPED_ADDRESS in value]


def test_other_mail_stays_in_the_outbox_after_sending(village):
    notify.queue_message("iemand@example.org", "password_changed", "nl", user=make_user())
    db.session.commit()
    notify.send_due(transport=_Kept())
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


@pytest.mark.parametrize(
    "address", ["", "geen adres", "a@b", "x" * 250 + "@example.org", "a@example.org\r\nBcc: b@c.d"]
)
def test_a_wrong_address_or_an_empty_list_sends_nothing(village, address):
    _area, (cafe, _shopping, _money) = village
    with pytest.raises(ValidationError):
        services.send_list(address, None, {services.SESSION_KEY: [cafe.id]}, "nl")
    with pytest.raises(ValidationError):
        services.send_list(TYPED_ADDRESS, None, {}, "nl")
    assert db.session.scalar(select(OutboxMessage.id)) is None
    assert db.session.scalar(select(SharedList.id)) is None


def test_a_short_link_opens_the_same_list_and_expires_after_90_days(village, app_clock):
    area, (cafe, shopping, money) = village
    resident = make_user(roles=("resident",), name="Mevrouw Jansen")
    for service in (money, cafe):
        services.add_service(service.id, resident, {})
    shared = services.share_list(resident, {})
    assert len(shared.token) >= 22
    assert set(SharedList.__table__.columns.keys()) == {"id", "token", "area_id", "created_at", "expires_at"}
    page = services.get_shared_list(shared.token)
    assert [service.name for service in page.services] == ["Geldhulp", "Mantelzorgcafé"]
    assert page.area.id == area.id
    assert page.expires_on == clock.today() + timedelta(days=90)
    start = clock.utcnow()
    app_clock.start(start + timedelta(days=89, hours=23))
    assert services.get_shared_list(shared.token).services
    app_clock.start(start + timedelta(days=90, seconds=1))
    with pytest.raises(NotFound):
        services.get_shared_list(shared.token)
    services.share_list(resident, {})  # a new link clears the expired ones
    assert db.session.scalar(select(SharedList.id).where(SharedList.token == shared.token)) is None


@pytest.mark.parametrize("token", ["", "x", "a" * 65, "a\x00b", None, 12])
def test_an_unknown_or_odd_short_link_is_not_found(app, token):
    with pytest.raises(NotFound):
        services.get_shared_list(token)


# --- a broker on the phone --------------------------------------------------------------------------------


def test_a_broker_sends_a_list_for_a_caller_and_the_request_notes_it_without_the_address(village):
    area, (cafe, shopping, _money) = village
    broker = make_broker(areas=("doorn",))
    request = make_request(area=area)
    services.start_for_caller(request.id, False, by=broker)
    services.add_service(cafe.id, broker, {})
    services.add_service(shopping.id, broker, {})
    services.send_list(TYPED_ADDRESS, broker, {}, "nl")
    event = db.session.scalars(select(RequestEvent).where(RequestEvent.action == "list_emailed")).one()
    assert event.request_id == request.id and event.actor_id == broker.id and event.actor_role == "broker"
    assert event.note == "Mantelzorgcafé; Boodschappenhulp"
    services.note_printed(broker, {})
    assert db.session.scalar(select(RequestEvent.action).where(RequestEvent.action == "list_printed"))
    notify.send_due(transport=_Kept())
    assert not [value for value in _table_values() if TYPED_ADDRESS in value]


def test_starting_for_a_caller_empties_the_list_unless_kept(village):
    area, (cafe, shopping, _money) = village
    broker = make_broker(areas=("doorn",))
    services.add_service(cafe.id, broker, {})
    services.start_for_caller(None, True, by=broker)
    assert services.list_ids(broker, {}) == [cafe.id]
    request = make_request(area=area)
    services.start_for_caller(request.id, False, by=broker)
    assert services.list_ids(broker, {}) == [] and services.caller_request_id(broker) == request.id
    services.add_service(shopping.id, broker, {})
    assert services.list_page(broker, {}).request_id == request.id
    services.clear_list(broker, {})
    assert services.caller_request_id(broker) is None


def test_only_a_broker_of_the_area_may_make_a_list_for_a_request_or_note_on_it(village):
    area, (cafe, _shopping, _money) = village
    request = make_request(area=area)
    other = make_village(code="leersum", name="Leersum")
    outsider = make_broker(areas=(other.code,))
    resident = make_user(roles=("resident",))
    for user in (outsider, resident, None):
        with pytest.raises(PermissionDenied):
            services.start_for_caller(request.id, False, by=user)
        with pytest.raises(PermissionDenied):
            handouts.note_list_handed_over(request.id, ["Mantelzorgcafé"], "email", by=user)
    with pytest.raises(NotFound):
        services.start_for_caller(2**31 - 1, False, by=make_broker(areas=("doorn",)))
    assert db.session.scalar(select(RequestEvent.id).where(RequestEvent.action.like("list_%"))) is None


def test_printing_is_noted_only_for_a_list_of_a_request(village):
    _area, (cafe, _shopping, _money) = village
    broker = make_broker(areas=("doorn",))
    services.add_service(cafe.id, broker, {})
    with pytest.raises(ValidationError):
        services.note_printed(broker, {})
    with pytest.raises(PermissionDenied):
        services.note_printed(make_user(roles=("resident",)), {})


def test_the_dorpsteam_at_the_bottom_is_where_most_services_are(app):
    doorn, maarn = make_village(), make_village(code="maarn", name="Maarn")
    quiet = make_village(code="overberg", name="Overberg", contact_name=None, contact_phone=None)
    from tests.builders import make_location

    in_doorn = make_service(make_location(area=doorn))
    in_maarn = [make_service(make_location(area=maarn)) for _ in range(2)]
    in_quiet = [make_service(make_location(area=quiet)) for _ in range(3)]
    chosen = services.handout_area(services.load_services([in_doorn.id, *(s.id for s in in_maarn + in_quiet)]))
    assert chosen.id == maarn.id  # Overberg has more, but no contact to print
    assert services.handout_area(services.load_services([in_doorn.id]), request_area=maarn).id == maarn.id
