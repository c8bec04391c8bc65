"""An SMTP server for notify's tests (aiosmtpd, run as its own process):

    python -m tests.notify.notify_smtp_handler PORT MAILDIR [--tls CERT KEY --login USER PASSWORD]

It stores what it receives in a Maildir and refuses, for good, any recipient whose mailbox is
`nobody`. With --tls it requires STARTTLS, and with --login it requires AUTH after it."""
import argparse
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("maildir")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--login", nargs=2, metavar=("USER", "PASSWORD"))
    args = parser.parse_args()
    options = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.tls)
        options.update(tls_context=context, require_starttls=True)
    if args.login:
        expected = (args.login[0].encode(), args.login[1].encode())

        def authenticate(server, session, envelope, mechanism, auth_data):
            return AuthResult(success=(auth_data.login, auth_data.password) == expected)

        options.update(authenticator=authenticate, auth_required=True,
                       auth_require_tls=bool(args.tls))
    controller = Controller(RefusingMailbox(args.maildir), hostname="127.0.0.1", port=args.port,
                            **options)
    controller.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
