"""Extension singletons, created once here and bound to the app in create_app."""

from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

socketio = SocketIO()
csrf = CSRFProtect()
