"""Account pages (placeholder; the accounts feature fills this in)."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/konto")


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    return "login"


@bp.route("/registrieren", methods=["GET", "POST"])
def register():
    return "register"


@bp.get("/")
def profile():
    return "profile"


@bp.post("/abmelden")
def logout():
    return "logout"


@bp.route("/zwei-faktor/einrichten", methods=["GET", "POST"])
def totp_setup():
    return "totp setup"


@bp.route("/zwei-faktor", methods=["GET", "POST"])
def totp_verify():
    return "totp"


@bp.route("/wiederherstellung", methods=["GET", "POST"])
def recovery_login():
    return "recovery"
