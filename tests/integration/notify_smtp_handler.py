"""aiosmtpd handler for notify's tests (loaded by `python -m aiosmtpd -c`): a Maildir that
refuses, for good, any recipient whose mailbox is `nobody`."""
from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"
