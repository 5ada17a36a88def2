"""The connectors a box's config enables (the sync runner's default), and the box's xAPI home page."""

from __future__ import annotations

import sqlite_utils

from classbox.config import Config, read_secret_file
from classbox.sync import outbox
from classbox.sync.clock import Clock
from classbox.sync.connectors import Connector
from classbox.sync.connectors.webdav import WebdavConnector
from classbox.sync.connectors.xapi import XapiConnector
from classbox.sync.link import Link
from classbox.sync.records import LRS, WORKSPACE
from classbox.sync.roster import roster_lookup
from classbox.sync.statements import StatementBuilder
from classbox.web.datadir import box_id


def box_home(config: Config) -> str:
    """The box's homePage for pseudonymous xAPI accounts and activity ids."""
    public = config["web"]["public_url"].rstrip("/")
    return public or f"http://{box_id(config)}.classbox.invalid"


def make_connectors(config: Config, link: Link, db: sqlite_utils.Database, clock: Clock
                    ) -> dict[str, Connector]:
    """The connectors the config enables, by target name ("lrs", "workspace")."""
    def date(record: outbox.OutboxRecord):
        return clock.date(record.created_wall, record.created_monotonic, record.boot_id)

    roster = roster_lookup(db)
    sync, xapi, dav = config["sync"], config["sync.xapi"], config["sync.webdav"]
    connectors: dict[str, Connector] = {}
    if xapi["endpoint"]:
        builder = StatementBuilder(box_home(config), box_id(config), config["box"]["school_uai"],
                                   xapi["ent_homepage"], roster)
        connectors[LRS] = XapiConnector(
            link, xapi["endpoint"], xapi["username"],
            read_secret_file(xapi["password_file"], "[sync.xapi] password_file"),
            builder, date, batch_size=sync["batch_size"], use_gzip=sync["gzip"])
    if dav["url"]:
        connectors[WORKSPACE] = WebdavConnector(
            link, dav["url"], dav["username"],
            read_secret_file(dav["password_file"], "[sync.webdav] password_file"),
            dav["root"], config.data_dir, config["box"]["school_uai"] or box_id(config), date,
            roster, box_id=box_id(config))
    return connectors
