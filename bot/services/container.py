"""All of the command services of one bot, built together by `bot.app.compose`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.favourites import FavouritesService
from bot.services.history import HistoryService
from bot.services.marks import MarksService
from bot.services.papers import PapersService
from bot.services.personal import PersonalService
from bot.services.posting import PostingService
from bot.services.roles import RoleService
from bot.services.search import SearchService
from bot.services.status import StatusService
from bot.services.subscriptions import SubscriptionService
from bot.services.why import WhyService


@dataclass(frozen=True)
class Services:
    """Every command service of one bot, as the composition root built them."""

    subscriptions: SubscriptionService
    posting: PostingService
    status: StatusService
    history: HistoryService
    papers: PapersService
    roles: RoleService
    marks: MarksService
    favourites: FavouritesService
    personal: PersonalService
    search: SearchService
    why: WhyService
