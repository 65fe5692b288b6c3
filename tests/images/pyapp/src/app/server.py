"""A tiny Flask app: stagediff's real Python pair."""

from flask import Flask

from greet import greeting

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return greeting("world")


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)
