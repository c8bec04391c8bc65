"""Prints Kannel's configuration for notify (kannel/kannel.conf filled in).

    python -m services.notify.kannel_conf --password SECRET --log-dir /var/log/kannel \
        --spool-dir /var/spool/kannel > kannel.conf
    bearerbox kannel.conf & smsbox kannel.conf

Then point notify at it: KANNEL_SENDSMS_URL=http://127.0.0.1:13013/cgi-bin/sendsms,
KANNEL_USERNAME / KANNEL_PASSWORD as given here, NOTIFY_DLR_SECRET, NOTIFY_PUBLIC_URL.
"""
import argparse
import secrets

from .gateways import kannel_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--username", default="motcua")
    parser.add_argument("--password", required=True, help="notify's sendsms password")
    parser.add_argument("--admin-password", default=secrets.token_urlsafe(12))
    parser.add_argument("--admin-port", type=int, default=13000)
    parser.add_argument("--smsbox-port", type=int, default=13001)
    parser.add_argument("--sendsms-port", type=int, default=13013)
    parser.add_argument("--fake-smsc-port", type=int, default=10000,
                        help="where Kannel's fakesmsc connects (replace the fake SMSC group by "
                             "the operator's link in production)")
    parser.add_argument("--log-dir", default="/var/log/kannel")
    parser.add_argument("--spool-dir", default="/var/spool/kannel",
                        help="where bearerbox keeps the messages it holds across restarts")
    args = parser.parse_args(argv)
    print(kannel_config(
        username=args.username, password=args.password, admin_password=args.admin_password,
        admin_port=args.admin_port, smsbox_port=args.smsbox_port,
        sendsms_port=args.sendsms_port, fake_smsc_port=args.fake_smsc_port,
        log_dir=args.log_dir, spool_dir=args.spool_dir,
    ), end="")


if __name__ == "__main__":
    main()
