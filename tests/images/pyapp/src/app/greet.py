from markupsafe import escape


def greeting(name: str) -> str:
    return f"<p>hello, {escape(name)}</p>"
