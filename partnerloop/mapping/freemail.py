"""Free-mail and internet-provider mail domains: never a company key.

An account whose website is `jane@gmail.com` tells us nothing about the company: thousands
of unrelated accounts share `gmail.com`. `normalize_domain` returns "" for these, so such an
account is matched by name only.

Two lists, both compared with the *registrable* domain (`mail.yahoo.co.jp` is checked as
`yahoo.co.jp`):

- `FREEMAIL_DOMAINS`: exact registrable domains (global webmail, ISP mailboxes, disposable
  addresses);
- `FREEMAIL_BRANDS`: the first label of a registrable domain that is free mail under any
  public suffix (`hotmail.fr`, `yahoo.co.uk`, `gmx.at`, …).

The lists are deliberately short and conservative: a company domain wrongly listed here only
costs a domain match (the name rules still run), while a free-mail domain missing from it
would join unrelated accounts, so widely used providers are what matters.
"""

from __future__ import annotations

FREEMAIL_BRANDS: frozenset[str] = frozenset(
    {
        "gmx",
        "googlemail",
        "hotmail",
        "outlook",
        "rocketmail",
        "yahoo",
        "yandex",
        "ymail",
    }
)

FREEMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # Global webmail
        "gmail.com",
        "aol.com",
        "aim.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "live.com",
        "live.co.uk",
        "live.fr",
        "live.de",
        "live.nl",
        "live.it",
        "live.ca",
        "live.com.au",
        "msn.com",
        "windowslive.com",
        "passport.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "tutanota.com",
        "tutanota.de",
        "tuta.io",
        "zoho.com",
        "zohomail.com",
        "mail.com",
        "email.com",
        "usa.com",
        "inbox.com",
        "fastmail.com",
        "fastmail.fm",
        "hushmail.com",
        "lycos.com",
        "hey.com",
        # Europe
        "web.de",
        "t-online.de",
        "freenet.de",
        "arcor.de",
        "posteo.de",
        "mailbox.org",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "laposte.net",
        "neuf.fr",
        "libero.it",
        "virgilio.it",
        "tiscali.it",
        "alice.it",
        "tin.it",
        "btinternet.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "ntlworld.com",
        "blueyonder.co.uk",
        "bluewin.ch",
        "seznam.cz",
        "centrum.cz",
        "wp.pl",
        "o2.pl",
        "onet.pl",
        "interia.pl",
        "telenet.be",
        "skynet.be",
        "ziggo.nl",
        "kpnmail.nl",
        "planet.nl",
        "home.nl",
        "telia.com",
        "online.no",
        "terra.com",
        "sapo.pt",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "rambler.ru",
        "ukr.net",
        # Americas
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "charter.net",
        "cox.net",
        "earthlink.net",
        "juno.com",
        "optonline.net",
        "shaw.ca",
        "rogers.com",
        "sympatico.ca",
        "videotron.ca",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "ig.com.br",
        # Asia-Pacific
        "qq.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "foxmail.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "nate.com",
        "rediffmail.com",
        "bigpond.com",
        "bigpond.net.au",
        "optusnet.com.au",
        "xtra.co.nz",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "nifty.com",
        "biglobe.ne.jp",
        # Disposable
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "trashmail.com",
        "yopmail.com",
    }
)


def is_freemail(domain: str) -> bool:
    """True for a registrable domain that is free or ISP mail (`hotmail.co.uk`, `qq.com`)."""
    if domain in FREEMAIL_DOMAINS:
        return True
    brand = domain.split(".", 1)[0]
    return brand in FREEMAIL_BRANDS
