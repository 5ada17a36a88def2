"""What every page shares: errors, languages, the session cookie, admin panels, the PWA views, the data dir."""
