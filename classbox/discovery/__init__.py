"""Discovery: mDNS advertising, the projector's connect page, `classbox discover`."""
