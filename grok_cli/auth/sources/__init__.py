"""Where credentials come from: a browser's cookie store, a browser window, or stdin."""
