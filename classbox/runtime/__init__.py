"""What runs processes and the event loop: `serve`/`web` (gunicorn), the agent, gevent helpers, systemd notify."""
